//! Histories that used to abort kvsim or take gigabytes, built in code: shared by
//! `tests/hostile.rs` (their verdicts) and `benches/hostile.rs` (their cost).

#![allow(
    dead_code,
    reason = "each includer uses some of these builders, not all"
)]

use kvsim::check::history::RawOp;
use kvsim::check::CheckHistory;
use kvsim::ids::ClientId;
use kvsim::op::OpKind;

/// One operation; `returned` `None`: it never returned.
pub fn raw(
    client: u32,
    kind: OpKind,
    key: &str,
    value: Option<String>,
    invoked: u64,
    returned: Option<u64>,
) -> RawOp {
    RawOp {
        client: ClientId(client),
        kind,
        key: key.into(),
        value: value.map(Into::into),
        expected: None,
        seen: None,
        invoked_at: invoked,
        returned_at: returned,
    }
}

/// `n` writes of client 0 to key x, none of which returned.
pub fn never_returned(n: u64) -> CheckHistory {
    CheckHistory::new((0..n).map(|i| raw(0, OpKind::Put, "x", Some(i.to_string()), i, None)))
}

/// `n` writes of client 0 to key x, one after another.
pub fn one_key(n: u64) -> CheckHistory {
    CheckHistory::new((0..n).map(|i| {
        raw(
            0,
            OpKind::Put,
            "x",
            Some(i.to_string()),
            2 * i,
            Some(2 * i + 1),
        )
    }))
}

/// Independent reads of independent writes on x and y (clients 0 to 3: not sequentially consistent),
/// beside `n` one-operation clients on key z, half writing and half reading the write before.
pub fn iriw_beside(n: u32) -> CheckHistory {
    let one = |v: &str| Some(v.to_string());
    let mut ops = vec![
        raw(0, OpKind::Put, "x", one("1"), 0, Some(10)),
        raw(1, OpKind::Put, "y", one("1"), 0, Some(10)),
        raw(2, OpKind::Get, "x", one("1"), 20, Some(21)),
        raw(2, OpKind::Get, "y", None, 22, Some(23)),
        raw(3, OpKind::Get, "y", one("1"), 20, Some(21)),
        raw(3, OpKind::Get, "x", None, 22, Some(23)),
    ];
    for i in 0..n {
        let at = u64::from(i * 7919 % 1000);
        let (kind, value) = if i % 2 == 0 {
            (OpKind::Put, Some(format!("z{i}")))
        } else {
            (OpKind::Get, Some(format!("z{}", i - 1)))
        };
        ops.push(raw(10 + i, kind, "z", value, at, Some(at + 5)));
    }
    CheckHistory::new(ops)
}
