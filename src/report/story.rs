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

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;

use super::describe;
use crate::events::{Carried, EventLog, Loss, Message, What};
use crate::history::Operation;
use crate::ids::ReplicaId;
use crate::op::{Key, OpKind, Value};
use crate::protocol::clocks::Stamp;
use crate::protocol::note::{Missing, Note, Why};
use crate::protocol::summary::{Clock, MessageKind};
use crate::protocol::Traffic;
use crate::run::Run;
use crate::text::escape;

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
        "trace of {} ({} events in time order; → sent to, ← received from)",
        run.model,
        log.events.len()
    )?;
    let mut pending: Option<Line> = None;
    for (i, (event, index)) in log.indexed(run.replicas.len()).enumerate() {
        if folded(log, i) {
            continue;
        }
        let line = story.line(i, event.at, event.what, index);
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
            "(the trace stops here: a run records at most {} events)",
            crate::events::MAX_RECORDED_EVENTS
        )?;
    }
    Ok(())
}

/// Whether event `i` is told by the line next to it: a request that arrived the instant it was
/// invoked (the invoke line names the replica), a reply that reached its client the instant it left
/// (the answer line names the replica), or the sending of a packet lost or duplicated as it was
/// sent (that line shows the packet).
fn folded(log: &EventLog, i: usize) -> bool {
    let event = log.events[i];
    match event.what {
        What::Sent { msg } => log.events.get(i + 1).is_some_and(|e| {
            e.at == event.at
                && matches!(e.what, What::Lost { msg: m, .. } | What::Duplicated { msg: m } if m == msg)
        }),
        What::Request { op } => i
            .checked_sub(1)
            .and_then(|j| log.events.get(j))
            .is_some_and(|e| e.at == event.at && e.what == What::Invoke { op }),
        What::Reply { op } => log
            .events
            .get(i + 1)
            .is_some_and(|e| e.at == event.at && e.what == What::Return { op }),
        _ => false,
    }
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
    /// The operation each stamp belongs to, from the packets that carried it.
    ops: BTreeMap<Stamp, u32>,
    /// Each replica's store as the commits so far left it, with the stamp of each value.
    stores: Vec<BTreeMap<Key, (Value, Stamp)>>,
    /// Whether to show packets' sequence numbers: only when the channel layer had work to do.
    show_seq: bool,
    replicas: usize,
    time_width: usize,
    place_width: usize,
    peer_width: usize,
}

impl<'a> Story<'a> {
    fn new(run: &'a Run, log: &'a EventLog) -> Self {
        let mut ops = BTreeMap::new();
        for carried in &log.payloads {
            if let Carried {
                stamp,
                op: Some(op),
                ..
            } = carried
            {
                ops.insert(*stamp, *op);
            }
        }
        let show_seq = log.notes.iter().any(|note| {
            matches!(
                note,
                Note::OutOfOrder { .. } | Note::Duplicate { .. } | Note::Retransmit { .. }
            )
        }) || log
            .events
            .iter()
            .any(|e| matches!(e.what, What::Lost { .. } | What::Duplicated { .. }));
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
            ops,
            stores: vec![BTreeMap::new(); replicas],
            show_seq,
            replicas,
            time_width: last.to_string().len(),
            place_width: client_width.max("fault".len()),
            peer_width: (2 + client_width).max(4 + 2 * replica_width),
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

    fn op(&self, op: u32) -> Option<&'a Operation> {
        self.run.history.get(op as usize)
    }

    /// `put x = 1` or `get x`, as it was asked.
    fn asked(&self, op: u32) -> String {
        match self.op(op) {
            Some(o) if o.op == OpKind::Put => describe(o.op, &o.key, &o.value),
            Some(o) => format!("get {}", escape(&o.key)),
            None => format!("operation {op}"),
        }
    }

    /// `put y = 2 (2@r1)`: the operation a stamp belongs to, when a packet carried it.
    fn stamped(&self, stamp: Stamp) -> String {
        match self.ops.get(&stamp) {
            Some(&op) => format!("{} ({stamp})", self.asked(op)),
            None => stamp.to_string(),
        }
    }

    /// The line of event `i`; `index` is what [`EventLog::indexed`] gives with it.
    fn line(&mut self, i: usize, at: u64, what: What, index: u32) -> Line {
        let mut line = Line {
            at,
            place: String::new(),
            arrow: "",
            peers: Vec::new(),
            text: String::new(),
            mergeable: false,
        };
        match what {
            What::Invoke { op } => self.client_line(&mut line, op, "→", "invokes"),
            What::Request { op } => {
                self.at_replica(&mut line, op, "←", "request");
            }
            What::RequestLost { op } => {
                self.at_replica(&mut line, op, "←", "");
                line.text = format!("request lost, the replica is down: {}", self.asked(op));
            }
            What::Reply { op } => {
                self.at_replica(&mut line, op, "→", "answers");
            }
            What::Return { op } => {
                let o = self.op(op);
                line.place = o.map_or(String::new(), |o| o.client.to_string());
                line.arrow = "←";
                line.peers = o.map(|o| o.replica.to_string()).into_iter().collect();
                line.text = match o {
                    Some(o) => {
                        let waited = o
                            .latency()
                            .map_or(String::new(), |l| format!(" (after {l} ms)"));
                        let result = describe(o.op, &o.key, &o.value);
                        match o.op {
                            OpKind::Put => format!("{result}: ok{waited}"),
                            OpKind::Get => format!("{result}{waited}"),
                        }
                    }
                    None => format!("operation {op} answered"),
                };
            }
            What::LateReply { op } => {
                self.client_line(&mut line, op, "←", "");
                line.text = format!(
                    "late answer to {}, ignored: the client had given up",
                    self.asked(op)
                );
            }
            What::GiveUp { op } => {
                self.client_line(&mut line, op, "", "");
                line.text = format!(
                    "gives up on {}: no answer before its timeout",
                    self.asked(op)
                );
            }
            What::Sent { msg } => self.packet(&mut line, msg, "→"),
            What::Duplicated { msg } => {
                self.packet(&mut line, msg, "→");
                line.text
                    .push_str("  (duplicated by the network: it arrives twice)");
                line.mergeable = false;
            }
            What::Delivered { msg } => self.packet(&mut line, msg, "←"),
            What::Lost { msg, why } => {
                // Lost as it was sent (its sending is folded into this line), or on arrival.
                let at_send = i
                    .checked_sub(1)
                    .is_some_and(|j| self.log.events[j].what == What::Sent { msg });
                self.packet(&mut line, msg, if at_send { "→" } else { "←" });
                line.text.push_str(match why {
                    Loss::Dropped => "  ✗ lost by the network",
                    Loss::Cut => "  ✗ lost: the link is cut",
                    Loss::Down => "  ✗ lost: the receiver is down",
                });
                line.mergeable = false;
            }
            What::Commit { replica } => self.commit(&mut line, replica, index),
            What::Note { replica } => {
                line.place = replica.to_string();
                if let Some(note) = self.log.notes.get(index as usize) {
                    self.note(&mut line, note);
                }
            }
            What::Fault { index } => {
                line.place = "fault".to_string();
                line.text = self
                    .run
                    .faults
                    .get(index as usize)
                    .map_or(String::new(), |f| f.fault.to_string());
            }
        }
        line
    }

    fn client_line(&self, line: &mut Line, op: u32, arrow: &'static str, verb: &str) {
        if let Some(o) = self.op(op) {
            line.place = o.client.to_string();
            line.arrow = arrow;
            if !arrow.is_empty() {
                line.peers = vec![o.replica.to_string()];
            }
        }
        line.text = format!("{verb} {}", self.asked(op)).trim().to_string();
    }

    fn at_replica(&self, line: &mut Line, op: u32, arrow: &'static str, verb: &str) {
        if let Some(o) = self.op(op) {
            line.place = o.replica.to_string();
            line.arrow = arrow;
            line.peers = vec![o.client.to_string()];
        }
        line.text = format!("{verb} {}", self.asked(op)).trim().to_string();
    }

    fn packet(&self, line: &mut Line, msg: u32, arrow: &'static str) {
        let Some(message) = self.log.messages.get(msg as usize) else {
            return;
        };
        let (place, peer) = match arrow {
            "→" => (message.from, message.to),
            _ => (message.to, message.from),
        };
        line.place = place.to_string();
        line.arrow = arrow;
        line.peers = vec![peer.to_string()];
        line.text = self.contents(message);
        line.mergeable = arrow == "→";
    }

    /// What a packet carries, in words.
    fn contents(&self, message: &Message) -> String {
        let again = match message.traffic {
            Traffic::Retransmission => "again: ",
            Traffic::Data | Traffic::Ack => "",
        };
        let Some(carried) = self.log.payload(message) else {
            return format!("channel ack: has every packet before #{}", message.seq);
        };
        let mut text = String::from(again);
        match carried.kind {
            MessageKind::Write | MessageKind::Multicast => {
                if carried.kind == MessageKind::Multicast {
                    text.push_str("multicast ");
                }
                match carried.op.and_then(|op| Some((op, self.op(op)?))) {
                    Some((op, o)) => {
                        let _ = write!(text, "{} from {}", self.asked(op), o.client);
                    }
                    None => text.push_str("an operation"),
                }
                let _ = write!(text, ", stamp {}", carried.stamp);
                if let Clock::Vector(vector) = &carried.clock {
                    let _ = write!(text, ", vc {vector}");
                }
            }
            MessageKind::MulticastAck => {
                let _ = write!(text, "ack of {}", self.stamped(carried.stamp));
                if let Clock::Lamport(clock) = carried.clock {
                    let _ = write!(text, ", clock {clock}");
                }
            }
        }
        if self.show_seq {
            let _ = write!(text, "  #{}", message.seq);
        }
        text
    }

    fn commit(&mut self, line: &mut Line, replica: ReplicaId, index: u32) {
        line.place = replica.to_string();
        let Some(entry) = self
            .run
            .replicas
            .get(replica.index())
            .and_then(|r| r.committed.get(index as usize))
        else {
            return;
        };
        let what = describe(entry.op, &entry.key, &entry.value);
        line.text = format!("applies {what} ({})", entry.stamp);
        if entry.op != OpKind::Put {
            return;
        }
        let store = &mut self.stores[replica.index()];
        if entry.superseded {
            if let Some((value, stamp)) = store.get(&entry.key) {
                let _ = write!(
                    line.text,
                    ": superseded, {} keeps {} from the newer {stamp}",
                    escape(&entry.key),
                    escape(value)
                );
            }
            return;
        }
        if let Some(value) = &entry.value {
            store.insert(entry.key.clone(), (value.clone(), entry.stamp));
            let _ = write!(
                line.text,
                "; store {} = {}",
                escape(&entry.key),
                escape(value)
            );
        }
    }

    fn note(&self, line: &mut Line, note: &Note) {
        line.text = match note {
            Note::HeldBack { stamp, why } => {
                format!("holds back {}: {}", self.stamped(*stamp), self.why(why))
            }
            Note::Released { stamp, after } => format!(
                "releases {}: applying {after} met its last dependency",
                self.stamped(*stamp)
            ),
            Note::OutOfOrder {
                from,
                seq,
                expected,
            } => {
                line.arrow = "←";
                line.peers = vec![from.to_string()];
                format!("packet #{seq} came before #{expected}: the channel keeps it until #{expected} arrives")
            }
            Note::Duplicate { from, seq } => {
                line.arrow = "←";
                line.peers = vec![from.to_string()];
                format!("packet #{seq} again: a duplicate, dropped (and acknowledged again)")
            }
            Note::Retransmit {
                to,
                messages,
                timeout,
            } => {
                line.arrow = "→";
                line.peers = vec![to.to_string()];
                format!(
                    "timer: {messages} packet{} unacknowledged, sending again (next timeout {timeout} ms)",
                    if *messages == 1 { "" } else { "s" }
                )
            }
        };
    }

    fn why(&self, why: &Why) -> String {
        match why {
            Why::Dependencies { missing } => {
                let parts: Vec<String> = missing.iter().map(missing_words).collect();
                parts.join("; ")
            }
            Why::Acks { from } => {
                let from: Vec<String> = from.iter().map(ReplicaId::to_string).collect();
                format!("waits for acks from {}", from.join(", "))
            }
            Why::Behind { head } => format!(
                "every replica acknowledged it, but {} is older and still waits",
                self.stamped(*head)
            ),
        }
    }
}

/// `needs 1 write of r0, has applied 0`.
fn missing_words(missing: &Missing) -> String {
    format!(
        "needs {} write{} of {}, has applied {}",
        missing.needs,
        if missing.needs == 1 { "" } else { "s" },
        missing.origin,
        missing.applied
    )
}
