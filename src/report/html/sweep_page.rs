//! The report of a sweep as one self-contained HTML page (`index.html` of `kvsim sweep --out DIR`):
//! per model, how many runs broke each property (bars), the distribution over seeds of messages,
//! mean latencies and availability (histograms), each named anomaly with its first seeds and the
//! command that replays each, and the kinds of failure (a table). No script: everything is drawn
//! here, in Rust.

use std::fmt::Write;

use super::esc;
use crate::check::Property;
use crate::sweep::{ModelSummary, Spread, Summary, MAX_SHAPES};

const CSS: &str = include_str!("page.css");
const WIDTH: f64 = 300.0;
const BINS: usize = 16;

/// The page of `summary`; `replay` is the command that replays a run without its seed and model
/// (`kvsim run scenarios/x.json`).
pub fn render_sweep_html(summary: &Summary, replay: &str) -> String {
    let mut out = String::new();
    let name = esc(&summary.scenario);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>kvsim sweep: {name}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<header>\n<h1>kvsim sweep: {name}</h1>\n<p class=\"meta\">{} seeds; models: {}</p>\n</header>\n<div class=\"models\">\n",
        summary.seeds,
        summary.models.iter().map(|m| m.model.name()).collect::<Vec<_>>().join(", ")
    );
    for model in &summary.models {
        section(&mut out, model, replay);
    }
    out.push_str("</div>\n</body>\n</html>\n");
    out
}

fn section(out: &mut String, m: &ModelSummary, replay: &str) {
    let name = m.model.name();
    let _ = writeln!(
        out,
        "<section class=\"model\" id=\"model-{name}\" data-model=\"{name}\">\n<h2>{name}</h2>\n<p class=\"stats\">{} runs; {} cut short; {} operations timed out</p>",
        m.runs, m.cut_short, m.timed_out
    );
    broken_bars(out, m);
    out.push_str("<div class=\"plots\">\n");
    histogram(out, "messages per run", "plot-messages", &m.messages);
    histogram(
        out,
        "mean read latency per run (ms)",
        "plot-read-latency",
        &m.mean_read_latency,
    );
    histogram(
        out,
        "mean write latency per run (ms)",
        "plot-write-latency",
        &m.mean_write_latency,
    );
    histogram(
        out,
        "operations answered in time (%)",
        "plot-availability",
        &m.answered_in_time,
    );
    out.push_str("</div>\n<h3>Anomalies</h3>\n");
    if m.anomalies.is_empty() {
        out.push_str("<p class=\"note\">none in any run</p>\n");
    } else {
        out.push_str("<ul class=\"anomalies\">\n");
        for a in &m.anomalies {
            let _ = write!(
                out,
                "<li class=\"anomaly\" data-property=\"{}\"><strong>{}</strong> breaks {} in {} run{}; first seeds:<ul>",
                esc(&a.property),
                esc(&a.anomaly),
                esc(&a.property.replace('_', " ")),
                a.runs,
                if a.runs == 1 { "" } else { "s" }
            );
            for seed in &a.first_seeds {
                let _ = write!(
                    out,
                    "<li><code class=\"replay\">{} --seed {seed} --model {name} --out {name}-{seed}</code></li>",
                    esc(replay)
                );
            }
            out.push_str("</ul></li>\n");
        }
        out.push_str("</ul>\n");
    }
    failures(out, m, replay);
    out.push_str("</section>\n");
}

/// The kinds of failure: one row per group (anomaly and witness shape), most runs first, with the
/// command that replays its first seed.
fn failures(out: &mut String, m: &ModelSummary, replay: &str) {
    let name = m.model.name();
    let groups = &m.failures.groups;
    out.push_str("<h3>Kinds of failure</h3>\n");
    if m.failures.total() == 0 {
        out.push_str("<p class=\"note\">none in any run</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">{} kind{} of failure (a property broken in a run), by anomaly and by the shape of the witness: the clients, keys and operations that prove it</p>",
        groups.len(),
        if groups.len() == 1 { "" } else { "s" }
    );
    if !groups.is_empty() {
        out.push_str("<table class=\"matrix failures\">\n<tr><th>runs</th><th>property</th><th>anomaly</th><th>witness</th><th>first seed</th></tr>\n");
    }
    for g in groups {
        let first = g.first_seeds.first().map_or_else(String::new, |seed| {
            format!(
                "<code class=\"replay\">{} --seed {seed} --model {name} --out {name}-{seed}</code>",
                esc(replay)
            )
        });
        let _ = writeln!(
            out,
            "<tr class=\"failure\" data-property=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{first}</td></tr>",
            esc(&g.property),
            g.runs,
            esc(&g.property.replace('_', " ")),
            esc(&g.anomaly),
            esc(&g.shape),
        );
    }
    if !groups.is_empty() {
        out.push_str("</table>\n");
    }
    if m.failures.ungrouped > 0 {
        let _ = writeln!(
            out,
            "<p class=\"note\">{}{} failures not grouped: of shapes past the first {MAX_SHAPES} of their anomaly, or counted by an older kvsim</p>",
            if groups.is_empty() { "" } else { "and " },
            m.failures.ungrouped
        );
    }
}

/// How many runs broke each property (and left it unknown), as horizontal bars over the runs.
fn broken_bars(out: &mut String, m: &ModelSummary) {
    let height = Property::ALL.len() as f64 * 18.0 + 4.0;
    let _ = writeln!(
        out,
        "<figure class=\"plot\"><figcaption>runs breaking each property (of {}; <span class=\"key-write\">unknown</span> after)</figcaption>\n<svg class=\"plot-broken\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">",
        m.runs
    );
    let runs = m.runs.max(1) as f64;
    for (i, p) in Property::ALL.into_iter().enumerate() {
        let broken = m.broken.get(p.name()).copied().unwrap_or(0);
        let unknown = m.unknown.get(p.name()).copied().unwrap_or(0);
        let y = i as f64 * 18.0 + 2.0;
        let (wb, wu) = (broken as f64 / runs * 120.0, unknown as f64 / runs * 120.0);
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{:.0}\">{}</text><rect class=\"bar broken\" data-property=\"{}\" x=\"130\" y=\"{y:.0}\" width=\"{wb:.1}\" height=\"13\"/><rect class=\"write\" x=\"{:.1}\" y=\"{y:.0}\" width=\"{wu:.1}\" height=\"13\"/><text x=\"{:.1}\" y=\"{:.0}\">{broken}{}</text>",
            y + 11.0,
            p.name().replace('_', " "),
            p.name(),
            130.0 + wb,
            134.0 + wb + wu,
            y + 11.0,
            if unknown > 0 { format!(" +{unknown}?") } else { String::new() }
        );
    }
    out.push_str("</svg></figure>\n");
}

/// A histogram of one figure over the runs, with its min, p50, p99 and max under it.
fn histogram(out: &mut String, caption: &str, class: &str, spread: &Spread) {
    let Some(figures) = spread.figures() else {
        let _ = writeln!(
            out,
            "<figure class=\"plot\"><figcaption>{caption}: no run</figcaption></figure>"
        );
        return;
    };
    let (lo, hi) = (figures.min, figures.max);
    let width = ((hi - lo) / BINS as f64).max(f64::MIN_POSITIVE);
    let mut bins = [0u64; BINS];
    for (value, runs) in spread.values() {
        bins[(((value - lo) / width) as usize).min(BINS - 1)] += runs;
    }
    let tallest = bins.iter().copied().max().unwrap_or(1).max(1) as f64;
    let (height, base) = (80.0, 66.0);
    let slot = (WIDTH - 20.0) / BINS as f64;
    let _ = writeln!(
        out,
        "<figure class=\"plot\"><figcaption>{caption}</figcaption>\n<svg class=\"{class}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">"
    );
    for (i, &count) in bins.iter().enumerate() {
        let h = count as f64 / tallest * (base - 6.0);
        let _ = writeln!(
            out,
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{count} runs from {:.3} to {:.3}</title></rect>",
            10.0 + i as f64 * slot,
            base - h,
            slot - 1.0,
            lo + i as f64 * width,
            lo + (i + 1) as f64 * width
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"78\">min {} · p50 {} · p99 {} · max {}</text>\n</svg></figure>",
        short(figures.min),
        short(figures.p50),
        short(figures.p99),
        short(figures.max)
    );
}

/// A figure to three decimals, without trailing zeros.
fn short(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}
