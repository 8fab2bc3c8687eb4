//! The message-level story of a run (`--trace`): one aligned line per protocol event, in time order.
//!
//! ```text
//! t=  30  r1        → r0, r2      put y = 2 from client 1, stamp 2@r1, vc [1,1,0]
//! t=  35  r2        ← r1          put y = 2 from client 1, stamp 2@r1, vc [1,1,0]
//! t=  35  r2                      holds back put y = 2 (2@r1): needs 1 write of r0, has applied 0
//! t= 100  r2        ← r0          put x = 1 from client 0, stamp 1@r0, vc [1,0,0]
//! t= 100  r2                      applies put x = 1 (1@r0); store x = 1
//! t= 100  r2                      releases put y = 2 (2@r1): applying 1@r0 met its last dependency
//! ```
//!
//! The columns are: when, where (a replica, a client, or `fault`), the peer (`→` sent to, `←`
//! received from), and what. Packets sent at one instant by one replica with the same contents are
//! one line listing every recipient (`→ all` when it is every other replica of three or more). The
//! words come from the typed events and notes (see [`crate::events`]); nothing here re-simulates.

mod sentences;

use std::collections::BTreeMap;
use std::io;

use super::unseen::Unseen;
use crate::events::{EventLog, What};
use crate::run::Run;

/// The trace of `run`, or `None` when it recorded no events.
pub fn render_trace(run: &Run) -> Option<String> {
    run.events.as_ref()?;
    let mut out = Vec::new();
    // Writing to a `Vec` cannot fail.
    write_trace(run, &mut out).expect("writing to memory");
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Writes the trace of `run` to `out` line by line (nothing when it recorded no events), so that
/// the trace of a large run never has to fit in memory as text.
pub fn write_trace(run: &Run, out: &mut (impl io::Write + ?Sized)) -> io::Result<()> {
    let Some(log) = run.events.as_ref() else {
        return Ok(());
    };
    let mut story = Story::new(run, log);
    writeln!(
        out,
        "trace of {}: every request, packet, hold-back and commit, in time order (→ sent to, ← received from)",
        run.model
    )?;
    let mut pending: Option<Line> = None;
    for (i, (event, index)) in log.indexed(run.replicas.len()).enumerate() {
        story.observe(event.what, index);
        if folded(run, log, i) {
            continue;
        }
        let line = story.line(event.at, event.what, index);
        match &mut pending {
            Some(last) if last.merges(&line) => last.peers.extend(line.peers),
            _ => {
                if let Some(last) = pending.replace(line) {
                    story.write(out, &last)?;
                }
            }
        }
    }
    if let Some(last) = pending {
        story.write(out, &last)?;
    }
    if log.truncated {
        writeln!(
            out,
            "(the trace stops here: a run records at most {} million events)",
            crate::events::MAX_RECORDED_EVENTS / 1_000_000
        )?;
    }
    Ok(())
}

/// Whether event `i` is told by another line: a request that arrived the instant it was invoked
/// (the invoke line names the replica), a reply that reached its client the instant it left (the
/// answer line names the replica), or the sending of a packet lost or duplicated as it was sent
/// (the next line shows the packet).
fn folded(run: &Run, log: &EventLog, i: usize) -> bool {
    let event = log.events[i];
    let op = |op: u32| run.history.get(op as usize);
    match event.what {
        What::Sent { msg } => log.events.get(i + 1).is_some_and(|e| {
            e.at == event.at
                && matches!(e.what, What::Lost { msg: m, .. } | What::Duplicated { msg: m } if m == msg)
        }),
        What::Request { op: i } => op(i).is_some_and(|o| o.invoked_at == event.at),
        What::Reply { op: i } => op(i).is_some_and(|o| o.returned_at == Some(event.at)),
        _ => false,
    }
}

/// The width of the peer column: room for `← client N`, for `→ all`, and for as many recipients
/// as a line lists short of all of them, up to three (`→ r1, r2, r3`); more push the text along.
fn peer_width(replicas: usize, replica_width: usize, client_width: usize) -> usize {
    let listed = replicas.saturating_sub(2).clamp(1, 3);
    let recipients = 2 + listed * replica_width + (listed - 1) * 2;
    recipients
        .max(2 + client_width)
        .max("→ all".chars().count())
}

/// One line before layout.
struct Line {
    at: u64,
    place: String,
    /// `→`, `←` or nothing.
    arrow: &'static str,
    peers: Vec<String>,
    text: String,
    /// Whether later sends of the same contents may join this line.
    mergeable: bool,
}

impl Line {
    fn merges(&self, next: &Line) -> bool {
        self.mergeable
            && next.mergeable
            && self.at == next.at
            && self.place == next.place
            && self.text == next.text
    }
}

/// What the renderer keeps while it walks the log.
struct Story<'a> {
    run: &'a Run,
    log: &'a EventLog,
    /// Each replica's store, hold-back queue and incoming packets as the log so far left them.
    unseen: Unseen<'a>,
    /// For a read answered from a store while that replica held back a write to its key, or one
    /// was on its way to it: which, and why, to be said when the answer reaches the client.
    read_notes: BTreeMap<u32, String>,
    replicas: usize,
    time_width: usize,
    place_width: usize,
    peer_width: usize,
}

impl<'a> Story<'a> {
    fn new(run: &'a Run, log: &'a EventLog) -> Self {
        let replicas = run.replicas.len();
        let clients = run
            .history
            .iter()
            .map(|op| op.client.0 + 1)
            .max()
            .unwrap_or(0);
        let last = log.events.last().map_or(0, |e| e.at);
        let client_width = format!("client {}", clients.saturating_sub(1)).len();
        let replica_width = format!("r{}", replicas.saturating_sub(1)).len();
        Story {
            run,
            log,
            unseen: Unseen::new(run, log),
            read_notes: BTreeMap::new(),
            replicas,
            time_width: last.to_string().len(),
            place_width: client_width.max("fault".len()),
            peer_width: peer_width(replicas, replica_width, client_width),
        }
    }

    fn write(&self, out: &mut (impl io::Write + ?Sized), line: &Line) -> io::Result<()> {
        let peers = if line.arrow.is_empty() {
            String::new()
        } else {
            format!("{} {}", line.arrow, self.recipients(&line.peers))
        };
        let text = format!(
            "t={:>tw$}  {:<pw$}  {:<rw$}  {}",
            line.at,
            line.place,
            peers,
            line.text,
            tw = self.time_width,
            pw = self.place_width,
            rw = self.peer_width,
        );
        writeln!(out, "{}", text.trim_end())
    }

    /// `r0, r2`, or `all` when a replica sent to every other one of three or more.
    fn recipients(&self, peers: &[String]) -> String {
        if self.replicas >= 3 && peers.len() == self.replicas - 1 {
            "all".to_string()
        } else {
            peers.join(", ")
        }
    }
}
