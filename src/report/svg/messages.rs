//! The packets between replicas: one arrow each from its sending to its delivery, a cross where one
//! was lost, and, past the limits, one faint line per link and kind with a count.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::lane_x;
use super::xml::{times, xml};
use super::{ACK_LIMIT, DATA_LIMIT};
use crate::events::{EventLog, Loss, Message, What};
use crate::ids::{ReplicaId, Time};
use crate::protocol::summary::{Clock, MessageKind};
use crate::protocol::Traffic;
use crate::run::Run;

/// Where and when a copy of a packet met its fate.
#[derive(Clone, Copy)]
struct Fate {
    y: i64,
    at: Time,
    /// Why it was lost, and whether on arrival; `None`: delivered.
    lost: Option<(Loss, bool)>,
}

/// The packets of a run, as the walk finds their sending and their fates.
pub(super) struct Packets<'a> {
    run: &'a Run,
    log: &'a EventLog,
    /// Each packet's sending: y and time.
    sent: Vec<(i64, Time)>,
    /// The fate of each packet's (first) copy.
    fates: Vec<Option<Fate>>,
    /// The fate of the second copy of a packet the network duplicated.
    second: BTreeMap<u32, Fate>,
}

/// A link's packets of one kind, drawn as one line with their count.
struct Summary {
    count: usize,
    /// The y of the first sending, and of the last fate.
    first: i64,
    last: i64,
    /// The time of the first sending, and of the last fate (if every packet met one).
    since: Time,
    until: Option<Time>,
}

impl<'a> Packets<'a> {
    pub(super) fn new(run: &'a Run, log: &'a EventLog) -> Self {
        let n = log.messages.len();
        Packets {
            run,
            log,
            sent: vec![(0, 0); n],
            fates: vec![None; n],
            second: BTreeMap::new(),
        }
    }

    pub(super) fn observe(&mut self, y: i64, what: What) {
        let (msg, at, lost) = match what {
            What::Sent { msg } => {
                if let Some(sent) = self.sent.get_mut(msg as usize) {
                    *sent = (y, 0);
                }
                return;
            }
            What::Delivered { msg } => (msg, y, None),
            What::Lost { msg, why, arriving } => (msg, y, Some((why, arriving))),
            _ => return,
        };
        let Some(slot) = self.fates.get_mut(msg as usize) else {
            return;
        };
        let fate = Fate { y: at, at: 0, lost };
        match slot {
            None => *slot = Some(fate),
            Some(_) => {
                self.second.insert(msg, fate);
            }
        }
    }

    /// Draws every packet into `lines`; says what was left out, if anything. `causes` are the
    /// packets whose delay left a witness's read stale, with those reads; `witness` the properties
    /// each operation is a witness of.
    pub(super) fn draw(
        mut self,
        end: i64,
        causes: &BTreeMap<u32, Vec<u32>>,
        witness: &[String],
        lines: &mut Vec<(i64, String)>,
    ) -> Option<String> {
        self.times();
        let total = self.log.messages.len();
        let acks = self
            .log
            .messages
            .iter()
            .filter(|m| m.traffic == Traffic::Ack)
            .count();
        let collapse_acks = total > ACK_LIMIT;
        let collapse_data = total - acks > DATA_LIMIT;
        let mut summaries: BTreeMap<(ReplicaId, ReplicaId, &'static str), Summary> =
            BTreeMap::new();
        for (i, message) in self.log.messages.iter().enumerate() {
            let collapsed = match message.traffic {
                Traffic::Ack => collapse_acks,
                Traffic::Data | Traffic::Retransmission => collapse_data,
            };
            let fate = self.fates[i];
            if collapsed {
                let (y, at) = self.sent[i];
                let last = fate.map_or(end, |f| f.y);
                let key = (message.from, message.to, traffic(message.traffic));
                let summary = summaries.entry(key).or_insert(Summary {
                    count: 0,
                    first: y,
                    last,
                    since: at,
                    until: Some(at),
                });
                summary.until = match (summary.until, fate) {
                    (Some(until), Some(f)) => Some(until.max(f.at)),
                    _ => None,
                };
                summary.count += 1;
                summary.last = summary.last.max(last);
                continue;
            }
            lines.push(self.arrow(i, message, "", fate, end, causes, witness));
            if let Some(&copy) = self.second.get(&(i as u32)) {
                lines.push(self.arrow(i, message, "-dup", Some(copy), end, causes, witness));
            }
        }
        let mut left_out = Vec::new();
        let mut counted = [0usize; 2];
        for (&(from, to, kind), summary) in &summaries {
            counted[usize::from(kind != "ack")] += summary.count;
            let (x1, x2) = (lane_x(from.index()), lane_x(to.index()));
            let words = format!("{} {kind} packets {from} → {to}", summary.count);
            let line = format!(
                "<g id=\"msgs-r{}-r{}-{kind}\" class=\"msg {kind} collapsed\" data-count=\"{}\"{}><title>{words}, t={}..{}</title><line x1=\"{x1}\" y1=\"{}\" x2=\"{x2}\" y2=\"{}\"/><text x=\"{}\" y=\"{}\">{words}</text></g>",
                from.0,
                to.0,
                summary.count,
                times(summary.since, summary.until),
                summary.since,
                summary.until.map_or("the end".to_string(), |t| t.to_string()),
                summary.first,
                summary.last,
                (x1 + x2) / 2,
                // Halfway down its line, each link a row apart, so that the counts do not overlap.
                (summary.first + summary.last) / 2 + 12 * (from.index() * self.run.replicas.len() + to.index()) as i64,
            );
            lines.push((summary.first, line));
        }
        if counted[0] > 0 {
            left_out.push(format!(
                "{} channel acks (more than {ACK_LIMIT} packets), drawn as one faint line per link with their count",
                counted[0]
            ));
        }
        if counted[1] > 0 {
            left_out.push(format!(
                "{} other packets (more than {DATA_LIMIT}), drawn as one line per link and kind with their count",
                counted[1]
            ));
        }
        (!left_out.is_empty()).then(|| left_out.join("; "))
    }

    /// Fills in the times of sendings and fates, from the events, once: the walk records only
    /// where they go.
    fn times(&mut self) {
        let mut copies: BTreeMap<u32, u8> = BTreeMap::new();
        for event in &self.log.events {
            match event.what {
                What::Sent { msg } => {
                    if let Some(sent) = self.sent.get_mut(msg as usize) {
                        sent.1 = event.at;
                    }
                }
                What::Delivered { msg } | What::Lost { msg, .. } => {
                    let copy = copies.entry(msg).or_insert(0);
                    let fate = match *copy {
                        0 => self.fates.get_mut(msg as usize).and_then(Option::as_mut),
                        _ => self.second.get_mut(&msg),
                    };
                    if let Some(fate) = fate {
                        fate.at = event.at;
                    }
                    *copy += 1;
                }
                _ => {}
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // the copy, its fate and the walk's findings: a struct would only rename them
    fn arrow(
        &self,
        i: usize,
        message: &Message,
        suffix: &str,
        fate: Option<Fate>,
        end: i64,
        causes: &BTreeMap<u32, Vec<u32>>,
        witness: &[String],
    ) -> (i64, String) {
        let (y1, sent_at) = self.sent[i];
        let x1 = lane_x(message.from.index());
        let xt = lane_x(message.to.index());
        let carried = self.log.payload(message);
        let op = carried.and_then(|c| c.op);
        let mut class = format!("msg {}", traffic(message.traffic));
        if !suffix.is_empty() {
            class.push_str(" duplicate");
        }
        let mut title = format!(
            "{} → {} #{}: {}; sent t={sent_at}",
            message.from,
            message.to,
            message.seq,
            self.contents(message)
        );
        if !suffix.is_empty() {
            title.push_str(" (the second copy: the network duplicated it)");
        }
        let (x2, y2, cross) = match fate {
            None => {
                class.push_str(" inflight");
                title.push_str(", still on its way when the run ended");
                (xt, end, false)
            }
            Some(Fate { y, at, lost: None }) => {
                let _ = write!(title, ", delivered t={at}");
                (xt, y, false)
            }
            Some(Fate {
                y,
                at,
                lost: Some((why, arriving)),
            }) => {
                class.push_str(" lost");
                let why = match why {
                    Loss::Dropped => "lost by the network",
                    Loss::Cut => "lost: the link is cut",
                    Loss::Down => "lost: the receiver is down",
                };
                let _ = write!(
                    title,
                    ", {why} at t={at}{}",
                    if arriving {
                        ", on arrival"
                    } else {
                        ", as it was sent"
                    }
                );
                // Lost as it was sent: a short stub toward the receiver; on arrival: most of the way.
                match arriving {
                    true => (x1 + (xt - x1) * 4 / 5, y.max(y1 + 4), true),
                    false => (x1 + (xt - x1) / 5, y.max(y1) + 6, true),
                }
            }
        };
        let witnessed = op
            .and_then(|op| witness.get(op as usize))
            .filter(|w| !w.is_empty());
        if witnessed.is_some() {
            class.push_str(" witness");
        }
        if let Some(reads) = causes.get(&(i as u32)).filter(|_| suffix.is_empty()) {
            class.push_str(" cause");
            for read in reads {
                if let Some(o) = self.run.history.get(*read as usize) {
                    let _ = write!(
                        title,
                        "; still on its way when {} read {} at {}: its delay made that read stale",
                        o.client, o.key, o.replica
                    );
                }
            }
        }
        let mut line = format!(
            "<g id=\"msg-r{}-r{}-{i}{suffix}\" class=\"{class}\"{}",
            message.from.0,
            message.to.0,
            times(sent_at, fate.map(|f| f.at))
        );
        if let Some(op) = op {
            let _ = write!(line, " data-op=\"{op}\"");
        }
        if let Some(list) = witnessed {
            let _ = write!(line, " data-witness=\"{list}\"");
        }
        let _ = write!(
            line,
            "><title>{}</title><line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\"/>",
            xml(&title)
        );
        if cross {
            let _ = write!(
                line,
                "<path class=\"cross\" d=\"M{} {}l8 8m0 -8l-8 8\"/>",
                x2 - 4,
                y2 - 4
            );
        }
        line.push_str("</g>");
        (y1, line)
    }

    /// What a packet carries, in words, as the trace says it.
    fn contents(&self, message: &Message) -> String {
        let Some(carried) = self.log.payload(message) else {
            return format!("channel ack: has every packet before #{}", message.seq);
        };
        let mut text = String::new();
        if message.traffic == Traffic::Retransmission {
            text.push_str("again: ");
        }
        let op = carried.op.and_then(|op| self.run.history.get(op as usize));
        match (carried.kind, op) {
            (MessageKind::MulticastAck, _) => {
                let _ = write!(text, "ack of {}", carried.stamp);
            }
            (kind, Some(o)) => {
                if kind == MessageKind::Multicast {
                    text.push_str("multicast ");
                } else if o.op.may_write() && o.op != crate::op::OpKind::Put {
                    // Causal and eventual replicas send what a compare-and-set or an append wrote.
                    text.push_str("result of ");
                }
                let what = o.asked();
                let _ = write!(text, "{what} from {}, stamp {}", o.client, carried.stamp);
            }
            (_, None) => {
                let _ = write!(text, "an operation, stamp {}", carried.stamp);
            }
        }
        match &carried.clock {
            Clock::Lamport(clock) => {
                let _ = write!(text, ", clock {clock}");
            }
            Clock::Vector(vector) => {
                let _ = write!(text, ", vc {vector}");
            }
            Clock::None => {}
        }
        text
    }
}

fn traffic(traffic: Traffic) -> &'static str {
    match traffic {
        Traffic::Data => "data",
        Traffic::Retransmission => "retransmission",
        Traffic::Ack => "ack",
    }
}
