//! The report of a run as one self-contained HTML page (`index.html` of `kvsim run --out DIR`):
//! the scenario, the verdict matrix, the four models side by side with their space-time diagrams
//! and small plots, and a time cursor over each replica's state.
//!
//! Self-contained means it loads nothing: the CSS ([`page.css`](page.css)) and the script
//! ([`page.js`](page.js)) are inlined, the diagrams and plots are inline SVG, and the data the script
//! needs (verdicts, the time cursor's steps) is embedded as JSON. It opens from `file://`, and the
//! same run always gives the same bytes.
//!
//! The page keeps its state in the DOM, so a headless browser can check it: the selected verdict is
//! `data-selected="model:property"` on `<body>` (also set from a `#verdict=model:property` fragment),
//! its witness elements get `class="highlight"`, and the cursor's instant is `data-time` on `<body>`
//! (set from a `#t=ms` fragment; both join as `#verdict=eventual:causal&t=60`).

mod plots;
mod sweep_page;
mod timeline;

use std::fmt::Write;

pub use sweep_page::render_sweep_html;

use crate::check::lattice::strongest;
use crate::check::{Property, Verdicts};
use crate::run::Run;
use crate::scenario::Config;

const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// The page of `runs` (with `verdicts[i]` and the space-time diagram `diagrams[i]` of `runs[i]`).
pub fn render_html(
    config: &Config,
    runs: &[Run],
    verdicts: &[Verdicts],
    diagrams: &[String],
) -> String {
    let mut out =
        String::with_capacity(diagrams.iter().map(String::len).sum::<usize>() + 64 * 1024);
    let name = esc(&config.name);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>kvsim: {name}</title>\n<style>\n{CSS}</style>\n</head>\n<body data-selected=\"\">\n"
    );
    let clients = config.clients.len() + config.workload.as_ref().map_or(0, |w| w.clients as usize);
    let _ = writeln!(
        out,
        "<header>\n<h1>kvsim: {name}</h1>\n<p class=\"meta\">seed {}, {} replicas, {clients} clients; models: {}</p>\n<p class=\"description\">{}</p>\n</header>",
        config.seed,
        config.replicas,
        runs.iter().map(|r| r.model.name()).collect::<Vec<_>>().join(", "),
        esc(&config.description)
    );
    matrix(&mut out, runs, verdicts);
    out.push_str(concat!(
        "<section id=\"cursor\" aria-label=\"time cursor\">\n<h2>Time</h2>\n",
        "<div class=\"controls\"><button id=\"back\" title=\"previous instant (key [ or ←)\">◀ back</button>\n",
        "<input type=\"range\" id=\"slider\" min=\"0\" max=\"0\" value=\"0\" aria-label=\"instant\">\n",
        "<button id=\"forward\" title=\"next instant (key ] or →)\">forward ▶</button>\n",
        "<output id=\"now\">t=0</output></div>\n<p id=\"thinned\" class=\"note\"></p>\n",
        "<div id=\"state\"></div>\n</section>\n",
    ));
    out.push_str("<div class=\"models\">\n");
    for ((run, verdicts), diagram) in runs.iter().zip(verdicts).zip(diagrams) {
        let model = run.model.name();
        let s = &run.stats;
        let _ = writeln!(
            out,
            "<section class=\"model\" id=\"model-{model}\" data-model=\"{model}\">\n<h2>{model}</h2>\n<p class=\"strongest\">strongest: {}</p>\n<p class=\"stats\">{} operations, {} answered in time, {} messages, {} events, ended at t={} ({})</p>\n<div class=\"plots\">",
            esc(&strongest(verdicts).to_string()),
            s.operations,
            s.completed,
            s.messages,
            s.events,
            s.duration,
            s.stopped.describe()
        );
        out.push_str(&plots::plots(run));
        out.push_str("</div>\n<div class=\"diagram\">\n");
        // Inline SVG in HTML needs no namespace; leaving it out keeps the page free of any URL.
        // The four diagrams share one page, so each one's ids (and the references to them) get
        // its model's name in front, to stay unique: `op-c1-3` becomes `causal-op-c1-3`.
        let namespace = " xmlns=\"http://www.w3.org/2000/svg\"";
        let inlined = diagram
            .replacen(namespace, "", 1)
            .replace(" id=\"", &format!(" id=\"{model}-"))
            .replace("url(#", &format!("url(#{model}-"));
        out.push_str(&inlined);
        out.push_str("</div>\n</section>\n");
    }
    out.push_str("</div>\n<aside id=\"details\" aria-live=\"polite\">Hover over an operation or a message for its details.</aside>\n");
    let mut by_model = serde_json::Map::new();
    for (run, verdicts) in runs.iter().zip(verdicts) {
        let value = serde_json::to_value(verdicts).expect("verdicts serialize");
        by_model.insert(run.model.name().to_string(), value);
    }
    let verdicts = serde_json::to_string(&by_model).expect("plain values serialize");
    let data = format!(
        "{{\"verdicts\":{verdicts},\"timeline\":{}}}",
        timeline::timeline(runs)
    );
    // `</script` would end the element early: `<` appears only inside JSON strings, where
    // `\u003c` means the same.
    let data = data.replace('<', "\\u003c");
    let _ = write!(
        out,
        "<script type=\"application/json\" id=\"kvsim-data\">{data}</script>\n<script>\n{SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}

/// The verdict matrix: a row per property, a column per model, each cell a button that selects the
/// verdict; under it, the panel that shows the selected verdict's witness.
fn matrix(out: &mut String, runs: &[Run], verdicts: &[Verdicts]) {
    out.push_str("<section id=\"verdicts\">\n<h2>Verdicts</h2>\n<p class=\"note\">Select a verdict to mark its witness in that model's diagram.</p>\n<table class=\"matrix\">\n<thead><tr><th scope=\"col\">property</th>");
    for run in runs {
        let _ = write!(out, "<th scope=\"col\">{}</th>", run.model.name());
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for property in Property::ALL {
        let p = property.name();
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", p.replace('_', " "));
        for (run, verdicts) in runs.iter().zip(verdicts) {
            let v = verdicts.get(property);
            let m = run.model.name();
            let _ = write!(
                out,
                "<td><button type=\"button\" class=\"verdict {word}\" id=\"verdict-{m}-{p}\" data-model=\"{m}\" data-property=\"{p}\" aria-pressed=\"false\"{title}>{mark} {word}</button></td>",
                word = v.word(),
                mark = match v.ok {
                    Some(true) => "✓",
                    Some(false) => "✗",
                    None => "?",
                },
                title = v.anomaly.as_ref().map_or(String::new(), |a| format!(" title=\"{}\"", esc(a))),
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str(
        "</tbody>\n</table>\n<div id=\"witness\" aria-live=\"polite\"></div>\n</section>\n",
    );
}

/// `text` safe inside HTML or SVG text and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
