//! A PLACEHOLDER space-time diagram, standing in for `report::render_svg` (the real diagram, written
//! in the `svg` branch) until the branches merge: it follows the same contract, so the report and its
//! tests work now. On merging, delete this file and point [`super::diagram`] at the real renderer.
//!
//! The contract it keeps, in brief: a root `<svg class="spacetime" data-model=…>`, time running down;
//! one lane per replica, then one per client; one `<rect class="op put|get" id="op-c{client}-{n}"
//! data-op="{history index}">` per operation and one `<line class="msg data|ack|retransmission
//! [lost]" id="msg-r{from}-r{to}-{id}">` per packet, each with a `<title>` and `data-t` (its start);
//! witness operations carry `witness` and `data-witness="{property …}"`.

use std::fmt::Write;

use super::esc;
use crate::check::{Property, Verdicts};
use crate::events::What;
use crate::protocol::Traffic;
use crate::run::Run;
use crate::scenario::Config;

const LANE: f64 = 60.0;
const TOP: f64 = 30.0;

/// The placeholder diagram of one run (see the module header).
pub(crate) fn placeholder_svg(config: &Config, run: &Run, verdicts: &Verdicts) -> String {
    let replicas = run.replicas.len();
    let clients = config.clients.len() + config.workload.as_ref().map_or(0, |w| w.clients as usize);
    let end = run.stats.duration.max(1) as f64;
    // Pixels per ms: tall enough to tell instants apart, short enough to scroll.
    let scale = (1500.0 / end).min(4.0);
    let y = |t: u64| TOP + t as f64 * scale;
    let lane_x = |lane: usize| 40.0 + lane as f64 * LANE;
    let width = lane_x(replicas + clients) as u64;
    let height = y(run.stats.duration) as u64 + 30;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spacetime placeholder\" data-model=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\">",
        run.model.name()
    );
    for lane in 0..replicas + clients {
        let name = match lane < replicas {
            true => format!("r{lane}"),
            false => format!("c{}", lane - replicas),
        };
        let x = lane_x(lane);
        let _ = writeln!(
            out,
            "<text class=\"lane-label\" x=\"{x}\" y=\"16\" text-anchor=\"middle\">{name}</text><line class=\"lane\" x1=\"{x}\" y1=\"{TOP}\" x2=\"{x}\" y2=\"{}\"/>",
            height - 10
        );
    }
    let mut seen = vec![0usize; clients];
    for (index, op) in run.history.iter().enumerate() {
        let client = op.client.index();
        let n = seen.get(client).copied().unwrap_or(0);
        if let Some(count) = seen.get_mut(client) {
            *count += 1;
        }
        let witness: Vec<&str> = Property::ALL
            .into_iter()
            .filter(|&p| verdicts.get(p).operations.contains(&index))
            .map(Property::name)
            .collect();
        let end = op
            .returned_at
            .or(op.gave_up_at)
            .unwrap_or(run.stats.duration);
        let (class, data) = match witness.is_empty() {
            true => (String::new(), String::new()),
            false => (
                " witness".to_string(),
                format!(" data-witness=\"{}\"", witness.join(" ")),
            ),
        };
        let _ = writeln!(
            out,
            "<rect class=\"op {kind}{class}\" id=\"op-c{client}-{n}\" data-op=\"{index}\" data-t=\"{t}\"{data} x=\"{x}\" y=\"{y0}\" width=\"12\" height=\"{h}\"><title>{title}</title></rect>",
            kind = op.op,
            t = op.invoked_at,
            x = lane_x(replicas + client) - 6.0,
            y0 = y(op.invoked_at),
            h = (y(end) - y(op.invoked_at)).max(2.0),
            title = esc(&format!(
                "{} by client {client} at r{}, t={}..{}",
                crate::report::describe(op.op, &op.key, &op.value),
                op.replica.0,
                op.invoked_at,
                op.returned_at.map_or("never answered".to_string(), |t| t.to_string())
            )),
        );
    }
    if let Some(log) = &run.events {
        let mut sent_at = vec![0u64; log.messages.len()];
        // A duplicated packet arrives twice: the second copy gets an id of its own.
        let mut drawn = vec![false; log.messages.len()];
        for event in log.events.iter() {
            let (msg, lost) = match event.what {
                What::Sent { msg } => {
                    sent_at[msg as usize] = event.at;
                    continue;
                }
                What::Delivered { msg } => (msg, false),
                What::Lost { msg, .. } => (msg, true),
                _ => continue,
            };
            let m = &log.messages[msg as usize];
            let traffic = match m.traffic {
                Traffic::Data => "data",
                Traffic::Ack => "ack",
                Traffic::Retransmission => "retransmission",
            };
            let start = sent_at[msg as usize];
            let copy = match std::mem::replace(&mut drawn[msg as usize], true) {
                true => "-copy",
                false => "",
            };
            let _ = writeln!(
                out,
                "<line class=\"msg {traffic}{lost}\" id=\"msg-r{from}-r{to}-{msg}{copy}\" data-t=\"{start}\" x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\"><title>{traffic} r{from} → r{to}, t={start}..{at}{what}</title></line>",
                lost = if lost { " lost" } else { "" },
                from = m.from.0,
                to = m.to.0,
                x1 = lane_x(m.from.index()),
                y1 = y(start),
                x2 = lane_x(m.to.index()),
                y2 = y(event.at),
                at = event.at,
                what = if lost { " (lost)" } else { "" },
            );
        }
    }
    out.push_str("</svg>\n");
    out
}
