//! The space-time diagram of one model's run, as SVG: time runs down, one vertical lane per replica
//! and then one per client; operations are bars on their client's lane, packets are arrows between
//! replica lanes, commits are dots, held-back writes and faults are shaded spans.
//!
//! ```text
//!        r0        r1        r2      client 0   client 1
//!  t=0   ●───────┐                      █ put x=1
//!              ╲ └──────────►●
//!  t=5          ╲                                  █ get x → null ✱
//!  t=100         ╲──────────────────►●
//! ```
//!
//! Everything is drawn from the recorded run (its history, committed orders, faults and, when it
//! recorded them, its events) and the verdicts; nothing re-simulates. The text is deterministic:
//! after a fixed header (styles, legend, lane headers) comes one element per line in time order,
//! each with a stable id (`op-c1-0`, `msg-r0-r2-17`, `commit-r1-3`), so a diff of two diagrams reads
//! like a diff of two traces.
//!
//! Large runs stay small: past [`ACK_LIMIT`] packets the channels' acknowledgements are drawn as one
//! faint line per link with their count, and past [`DATA_LIMIT`] other packets these too; the
//! diagram says what it left out, in a note and in the root's `data-omitted`.

mod faults;
mod marks;
mod messages;
mod scale;
mod witness;
mod xml;

use std::fmt::Write;

use crate::check::Verdicts;
use crate::run::Run;
use crate::scenario::Config;
use marks::Diagram;
use xml::xml;

/// Past this many packets in a run, channel acknowledgements are drawn as one count per link.
pub const ACK_LIMIT: usize = 1_000;
/// Past this many packets besides acknowledgements, those too are drawn as counts per link and
/// kind (data, retransmission).
pub const DATA_LIMIT: usize = 10_000;

/// The left margin, where the time labels are.
const LEFT: i64 = 80;
/// The distance between two lanes.
const LANE: i64 = 140;
/// The height of the header: title, legend, notes and lane names.
const TOP: i64 = 150;

/// The space-time diagram of `run` (one model's run of `config`'s scenario), with the operations of
/// every broken verdict in `verdicts` marked as witnesses. A run that recorded no events shows its
/// operations, commits and faults, and no packets.
pub fn render_svg(config: &Config, run: &Run, verdicts: &Verdicts) -> String {
    let clients = client_count(config, run);
    let mut diagram = Diagram::new(run, verdicts, clients);
    diagram.walk();
    let (body, omitted) = diagram.finish();
    let lanes = run.replicas.len() + clients;
    let width = (LEFT + lanes as i64 * LANE).max(1000);
    let height = TOP + body.end + 20;

    let mut out = String::with_capacity(body.bytes + 8_192);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" class=\"spacetime\" data-model=\"{}\"",
        run.model.name()
    );
    if let Some(omitted) = &omitted {
        xml::attr(&mut out, "data-omitted", omitted);
    }
    out.push_str(">\n");
    out.push_str(STYLE);
    let _ = writeln!(
        out,
        "<text class=\"heading\" x=\"10\" y=\"20\">{} under {}, seed {}: time runs down</text>",
        xml(&config.name),
        run.model.name(),
        config.seed
    );
    legend(&mut out);
    let mut note = String::from(
        "Gaps between instants are compressed (t= on the left gives the time); marks at one instant on one lane are stacked in the order they happened.",
    );
    if run.events.is_none() {
        note.push_str(" This run recorded no events: no packets are drawn.");
    }
    let _ = writeln!(
        out,
        "<text class=\"note\" x=\"10\" y=\"104\">{}</text>",
        xml(&note)
    );
    if let Some(omitted) = &omitted {
        let _ = writeln!(
            out,
            "<text class=\"note omitted\" x=\"10\" y=\"118\">Left out: {}.</text>",
            xml(omitted)
        );
    }
    for lane in 0..lanes {
        let name = match lane < run.replicas.len() {
            true => format!("r{lane}"),
            false => format!("client {}", lane - run.replicas.len()),
        };
        let x = lane_x(lane);
        let _ = writeln!(
            out,
            "<g class=\"lane\"><text class=\"lane-name\" x=\"{x}\" y=\"{}\">{name}</text><line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/></g>",
            TOP - 8,
            TOP,
            height - 10
        );
    }
    let _ = writeln!(out, "<g transform=\"translate(0 {TOP})\">");
    out.push_str(&body.text);
    out.push_str("</g>\n</svg>\n");
    out
}

/// The x of a lane: replicas first, then clients.
fn lane_x(lane: usize) -> i64 {
    LEFT + 40 + lane as i64 * LANE
}

/// How many client lanes: every scripted and generated client, and any the history names.
fn client_count(config: &Config, run: &Run) -> usize {
    let configured =
        config.clients.len() + config.workload.as_ref().map_or(0, |w| w.clients as usize);
    let seen = run
        .history
        .iter()
        .map(|o| o.client.index() + 1)
        .max()
        .unwrap_or(0);
    configured.max(seen)
}

/// The legend: one sample of each mark, in two rows of six.
fn legend(out: &mut String) {
    const ITEMS: [(&str, &str); 12] = [
        ("<rect class=\"bar put\" x=\"-3\" y=\"-9\" width=\"6\" height=\"14\"/>", "put, invoked → answered"),
        ("<rect class=\"bar get\" x=\"-3\" y=\"-9\" width=\"6\" height=\"14\"/>", "get, invoked → answered"),
        ("<g class=\"op timeout\"><rect class=\"bar put\" x=\"-3\" y=\"-9\" width=\"6\" height=\"14\"/></g>", "never answered in time"),
        ("<g class=\"op witness\"><rect class=\"bar put\" x=\"-3\" y=\"-9\" width=\"6\" height=\"14\"/></g>", "✱ witness of a broken verdict"),
        ("<g class=\"commit\"><circle r=\"4\" cy=\"-2\"/></g>", "commit, with its stamp"),
        ("<rect class=\"held\" x=\"-5\" y=\"-10\" width=\"10\" height=\"16\"/>", "held back until applied"),
        ("<g class=\"msg data\"><line x1=\"-12\" y1=\"-8\" x2=\"12\" y2=\"4\"/></g>", "packet, sent → delivered"),
        ("<g class=\"msg ack\"><line x1=\"-12\" y1=\"-8\" x2=\"12\" y2=\"4\"/></g>", "channel ack"),
        ("<g class=\"msg retransmission\"><line x1=\"-12\" y1=\"-8\" x2=\"12\" y2=\"4\"/></g>", "sent again"),
        ("<g class=\"msg lost\"><line x1=\"-12\" y1=\"-8\" x2=\"4\" y2=\"0\"/><path class=\"cross\" d=\"M0 -4l8 8M8 -4l-8 8\"/></g>", "lost packet"),
        ("<g class=\"msg cause\"><line x1=\"-12\" y1=\"-8\" x2=\"12\" y2=\"4\"/></g>", "delay behind a stale read"),
        ("<rect class=\"band\" x=\"-12\" y=\"-10\" width=\"24\" height=\"16\"/>", "partition or crash"),
    ];
    for (i, (mark, words)) in ITEMS.iter().enumerate() {
        let (row, column) = (i / 6, i % 6);
        let x = 24 + column as i64 * 165;
        let y = 46 + row as i64 * 28;
        let _ = writeln!(
            out,
            "<g class=\"legend\" transform=\"translate({x} {y})\">{mark}<text x=\"18\" y=\"2\">{words}</text></g>"
        );
    }
}

/// The styles, scoped to the diagram so that a page embedding it keeps its own.
const STYLE: &str = r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#567"/></marker></defs>
<style>
svg.spacetime{font-family:sans-serif;font-size:10px;background:#fff}
svg.spacetime text{fill:#222}
svg.spacetime .heading{font-size:14px;font-weight:bold}
svg.spacetime .note{fill:#555}
svg.spacetime .omitted{fill:#a40}
svg.spacetime .lane line{stroke:#bbb;stroke-width:1}
svg.spacetime .lane-name{font-size:12px;font-weight:bold;text-anchor:middle}
svg.spacetime .tick{fill:#777;text-anchor:end}
svg.spacetime .bar{stroke:#333;stroke-width:1}
svg.spacetime .bar.put{fill:#e8a33d}
svg.spacetime .bar.get{fill:#5b9bd5}
svg.spacetime .bar.cas{fill:#b07cc6}
svg.spacetime .bar.append{fill:#7fb069}
svg.spacetime .op.timeout .bar,svg.spacetime .op.unanswered .bar{stroke-dasharray:3 2;fill-opacity:.45}
svg.spacetime .msg line{stroke:#345;stroke-width:1;marker-end:url(#arrow)}
svg.spacetime .msg.ack line{stroke:#bbb}
svg.spacetime .msg.retransmission line{stroke-dasharray:5 3}
svg.spacetime .msg.lost line{marker-end:none}
svg.spacetime .msg.inflight line{marker-end:none;stroke-dasharray:1 3}
svg.spacetime .msg .cross{stroke:#c00;stroke-width:2;fill:none}
svg.spacetime .msg.collapsed line{stroke:#ccc;stroke-dasharray:2 4;marker-end:none}
svg.spacetime .msg.collapsed text{fill:#999}
svg.spacetime .commit circle{fill:#2a7;stroke:#fff}
svg.spacetime .commit text{fill:#176}
svg.spacetime .held{fill:#f6c342;fill-opacity:.35;stroke:#d9a400;stroke-dasharray:2 2}
svg.spacetime .band{fill:#999;fill-opacity:.15}
svg.spacetime .fault text{fill:#666;font-style:italic}
svg.spacetime .witness .bar{stroke:#c00;stroke-width:2.5}
svg.spacetime .witness text{fill:#c00;font-weight:bold}
svg.spacetime .commit.witness circle{stroke:#c00;stroke-width:2}
svg.spacetime .held.witness rect{stroke:#c00}
svg.spacetime .msg.witness line{stroke-width:1.6}
svg.spacetime .msg.cause line{stroke:#c00;stroke-width:3}
</style>
"##;
