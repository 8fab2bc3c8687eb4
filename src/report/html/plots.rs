//! Small inline-SVG plots of one run, drawn in Rust: the latency distribution of reads and writes,
//! messages per operation, and availability — the figures Maelstrom users get as plots.

use std::fmt::Write;

use crate::run::Run;

const WIDTH: f64 = 260.0;
const BINS: usize = 12;

/// The three plots of one run, one `<figure>` each.
pub(crate) fn plots(run: &Run) -> String {
    let mut out = String::new();
    out.push_str(&latency(run));
    out.push_str(&messages(run));
    out.push_str(&availability(run));
    out
}

/// A histogram of answered operations' latencies: reads and writes side by side in each bin.
fn latency(run: &Run) -> String {
    let of = |writes: bool| -> Vec<u64> {
        run.history
            .iter()
            .filter(|o| o.op.may_write() == writes)
            .filter_map(|o| o.latency())
            .collect()
    };
    let (reads, writes) = (of(false), of(true));
    let max = reads.iter().chain(&writes).copied().max().unwrap_or(0);
    let bin_width = (max / BINS as u64) + 1;
    let count = |values: &[u64]| {
        let mut bins = [0usize; BINS];
        for &v in values {
            bins[((v / bin_width) as usize).min(BINS - 1)] += 1;
        }
        bins
    };
    let (r, w) = (count(&reads), count(&writes));
    let tallest = r.iter().chain(&w).copied().max().unwrap_or(0).max(1) as f64;
    let (height, base) = (90.0, 80.0);
    let slot = (WIDTH - 20.0) / BINS as f64;
    let mut svg = format!(
        "<figure class=\"plot\"><figcaption>latency (ms): <span class=\"key-read\">reads</span> {} answered, <span class=\"key-write\">writes</span> {}</figcaption>\n<svg class=\"plot-latency\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">\n",
        reads.len(),
        writes.len()
    );
    for bin in 0..BINS {
        let x = 10.0 + bin as f64 * slot;
        for (i, (bins, class)) in [(&r, "read"), (&w, "write")].into_iter().enumerate() {
            let h = bins[bin] as f64 / tallest * (base - 10.0);
            let _ = writeln!(
                svg,
                "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\"><title>{} {class}s of {}..{} ms</title></rect>",
                x + i as f64 * slot / 2.0,
                base - h,
                slot / 2.0 - 1.0,
                bins[bin],
                bin as u64 * bin_width,
                (bin as u64 + 1) * bin_width - 1
            );
        }
    }
    let _ = writeln!(
        svg,
        "<line class=\"axis\" x1=\"10\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/><text x=\"10\" y=\"{height}\">0</text><text x=\"{}\" y=\"{height}\" text-anchor=\"end\">{} ms</text>",
        WIDTH - 10.0,
        WIDTH - 10.0,
        bin_width * BINS as u64
    );
    svg.push_str("</svg></figure>\n");
    svg
}

/// Horizontal bars of one figure each, scaled to the largest.
fn bars(caption: &str, class: &str, rows: &[(&str, f64, String)]) -> String {
    let largest = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let height = rows.len() as f64 * 20.0 + 4.0;
    let mut svg = format!(
        "<figure class=\"plot\"><figcaption>{caption}</figcaption>\n<svg class=\"{class}\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" role=\"img\">\n"
    );
    for (i, (label, value, shown)) in rows.iter().enumerate() {
        let y = i as f64 * 20.0 + 2.0;
        let _ = writeln!(
            svg,
            "<text x=\"0\" y=\"{:.0}\">{label}</text><rect class=\"bar\" x=\"100\" y=\"{y:.0}\" width=\"{:.1}\" height=\"14\"/><text x=\"{:.1}\" y=\"{:.0}\">{shown}</text>",
            y + 12.0,
            value / largest * 110.0,
            104.0 + value / largest * 110.0,
            y + 12.0
        );
    }
    svg.push_str("</svg></figure>\n");
    svg
}

/// Packets per operation: protocol messages, acknowledgements and retransmissions.
fn messages(run: &Run) -> String {
    let s = &run.stats;
    let per = |n: u64| n as f64 / s.operations.max(1) as f64;
    let data = s.messages - s.acks - s.retransmitted;
    bars(
        &format!("messages per operation ({} in all)", s.messages),
        "plot-messages",
        &[
            ("data", per(data), format!("{:.1}", per(data))),
            ("acks", per(s.acks), format!("{:.1}", per(s.acks))),
            (
                "retransmitted",
                per(s.retransmitted),
                format!("{:.1}", per(s.retransmitted)),
            ),
        ],
    )
}

/// The fractions of operations answered at all and answered in time.
fn availability(run: &Run) -> String {
    let a = &run.stats.availability;
    let pct = |f: Option<f64>| f.map_or(0.0, |f| f * 100.0);
    let shown = |f: Option<f64>| f.map_or("-".to_string(), |f| format!("{:.1}%", f * 100.0));
    bars(
        &format!(
            "availability ({} timed out, {} dropped packets)",
            run.stats.timed_out, run.stats.dropped
        ),
        "plot-availability",
        &[
            ("answered", pct(a.answered), shown(a.answered)),
            ("in time", pct(a.within_timeout), shown(a.within_timeout)),
        ],
    )
}
