//! Hand-written histories for the named checker tests: one row per operation.

use kvsim::check::history::RawOp;
use kvsim::check::{CheckHistory, Verdict};
use kvsim::ids::ClientId;
use kvsim::op::OpKind;

/// `(client, "put"|"get", key, value or "", invoked, returned or -1)`.
pub type Row = (u32, &'static str, &'static str, &'static str, u64, i64);

pub fn history(rows: &[Row]) -> CheckHistory {
    CheckHistory::new(
        rows.iter()
            .map(|&(client, op, key, value, invoked, returned)| RawOp {
                client: ClientId(client),
                kind: if op == "put" {
                    OpKind::Put
                } else {
                    OpKind::Get
                },
                key: key.into(),
                value: (!value.is_empty()).then(|| value.into()),
                expected: None,
                seen: None,
                invoked_at: invoked,
                returned_at: (returned >= 0).then_some(returned as u64),
            }),
    )
}

pub fn broken(verdict: &Verdict, anomaly: &str) {
    assert_eq!(verdict.ok, Some(false), "expected broken, got {verdict:?}");
    let name = verdict.anomaly.as_deref().unwrap_or("");
    assert!(name.contains(anomaly), "expected {anomaly:?}, got {name:?}");
    assert!(!verdict.witness.is_empty());
}
