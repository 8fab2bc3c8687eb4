//! Faults on the diagram: a partition is a band across the replica lanes, from the partition to
//! the next partition or heal; a crash is a band on its replica's lane, until it restarts.

use std::fmt::Write;

use super::lane_x;
use super::marks::Diagram;
use super::xml::{attr, times, xml};
use crate::ids::Time;
use crate::sim::fault::{Fault, Origin};

impl Diagram<'_> {
    pub(super) fn fault(&mut self, y: i64, index: u32) {
        let Some(fault) = self.run.faults.get(index as usize) else {
            return;
        };
        match &fault.fault {
            Fault::Partition(_) | Fault::PartitionOneway { .. } | Fault::Heal => {
                if let Some((start, i)) = self.partition.take() {
                    self.band(start, (y, Some(fault.at)), i);
                }
                if fault.fault != Fault::Heal {
                    self.partition = Some((y, index));
                }
            }
            Fault::Crash(replica) => {
                self.crashed.entry(*replica).or_insert((y, index));
            }
            Fault::Restart(replica) => {
                if let Some((start, i)) = self.crashed.remove(replica) {
                    self.band(start, (y, Some(fault.at)), i);
                }
            }
        }
    }

    /// The band of fault `index`, from `from` to `to`: across the diagram for a partition, on its
    /// replica's lane for a crash.
    pub(super) fn band(&mut self, from: i64, to: (i64, Option<Time>), index: u32) {
        let Some(fault) = self.run.faults.get(index as usize) else {
            return;
        };
        let nemesis = if fault.origin == Origin::Nemesis {
            " (nemesis)"
        } else {
            ""
        };
        let words = format!("{}{nemesis}", fault.fault);
        let (x, width, label_x) = match &fault.fault {
            Fault::Crash(replica) => {
                let x = lane_x(replica.index());
                (x - 14, 28, x - 12)
            }
            _ => {
                let last = lane_x(self.run.replicas.len().saturating_sub(1));
                (lane_x(0) - 20, last - lane_x(0) + 40, lane_x(0) - 18)
            }
        };
        let mut line = format!("<g id=\"fault-{index}\" class=\"fault\"");
        attr(&mut line, "data-fault", &words);
        line.push_str(&times(fault.at, to.1));
        let _ = write!(
            line,
            "><title>{}</title><rect class=\"band\" x=\"{x}\" y=\"{from}\" width=\"{width}\" height=\"{}\"/><text x=\"{label_x}\" y=\"{}\">{}</text></g>",
            xml(&format!("t={}: {words}", fault.at)),
            (to.0 - from).max(2),
            from + 10,
            xml(&words)
        );
        self.lines.push((from, line));
    }
}
