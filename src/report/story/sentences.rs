//! The words of a trace: one sentence per event, from the typed events and the replicas' notes.

use std::fmt::Write;

use super::{Line, Story};
use crate::events::{Loss, Message, What};
use crate::history::Operation;
use crate::ids::ReplicaId;
use crate::op::OpKind;
use crate::protocol::clocks::Stamp;
use crate::protocol::note::{Missing, Note, Why};
use crate::protocol::summary::{Clock, MessageKind};
use crate::protocol::Traffic;
use crate::report::describe_commit;
use crate::sim::fault::Origin;
use crate::text::escape;

impl<'a> Story<'a> {
    fn op(&self, op: u32) -> Option<&'a Operation> {
        self.run.history.get(op as usize)
    }

    /// `put x = 1` or `get x`, as it was asked.
    fn asked(&self, op: u32) -> String {
        match self.op(op) {
            Some(o) => o.asked(),
            None => format!("operation {op}"),
        }
    }

    /// `put y = 2 (2@r1)`: the operation a stamp belongs to, when a packet carried it.
    fn stamped(&self, stamp: Stamp) -> String {
        match self.unseen.op_of(stamp) {
            Some(op) => format!("{} ({stamp})", self.asked(op)),
            None => stamp.to_string(),
        }
    }

    /// Keeps up with every event, told on a line of its own or not (`index` is what
    /// [`EventLog::indexed`] gives with it), so that when a replica answers a read from its store
    /// while it holds back a newer write to that key, or one is still on its way to it, the
    /// answer's line can say which and why.
    pub(super) fn observe(&mut self, what: What, index: u32) {
        self.unseen.observe(what, index);
        if let What::Reply { op } = what {
            if let Some(note) = self.unseen_words(op) {
                self.read_notes.insert(op, note);
            }
        }
    }

    /// What read `op` did not see, in words: the newer write to its key its replica holds back,
    /// and why, or failing that one still on its way to it.
    fn unseen_words(&self, op: u32) -> Option<String> {
        let o = self.op(op)?;
        if let Some((stamp, why)) = self.unseen.held(op) {
            return Some(format!(
                "; {} holds back {}: {}",
                o.replica,
                self.stamped(stamp),
                self.why(why)
            ));
        }
        let msg = self.unseen.on_its_way(op)?;
        let message = self.log.messages.get(msg as usize)?;
        let carried = self.log.payload(message)?;
        Some(format!(
            "; {} ({}) is still on its way from {}",
            self.asked(carried.op?),
            carried.stamp,
            message.from
        ))
    }

    /// The line of one event; `index` is what [`EventLog::indexed`] gives with it.
    pub(super) fn line(&mut self, at: u64, what: What, index: u32) -> Line {
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
                        let result = o.described();
                        let mut text = match o.op {
                            OpKind::Put | OpKind::Append => format!("{result}: ok{waited}"),
                            OpKind::Get | OpKind::Cas => format!("{result}{waited}"),
                        };
                        if let Some(note) = self.read_notes.remove(&op) {
                            text.push_str(&note);
                        }
                        text
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
            What::Lost { msg, why, arriving } => {
                // Lost as it was sent (its sending is folded into this line), or on arrival.
                self.packet(&mut line, msg, if arriving { "←" } else { "→" });
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
                line.text = match self.run.faults.get(index as usize) {
                    Some(f) if f.origin == Origin::Nemesis => format!("{}  (nemesis)", f.fault),
                    Some(f) => f.fault.to_string(),
                    None => String::new(),
                };
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
                        if carried.kind == MessageKind::Write && o.op != OpKind::Put {
                            // A causal or eventual replica sends what a compare-and-set or an
                            // append wrote, like a put: the commit line shows the value.
                            text.push_str("result of ");
                        }
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
        let _ = write!(text, "  #{}", message.seq);
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
        let what = describe_commit(entry);
        line.text = format!("applies {what} ({})", entry.stamp);
        if !entry.op.may_write() || !entry.ok {
            return;
        }
        if entry.superseded {
            // The store as the walk left it: a superseded write changed nothing in it.
            if let Some((value, stamp)) = self.unseen.stored(replica.index(), &entry.key) {
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
