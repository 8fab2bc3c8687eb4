//! The claims of the lost-update and lost-append scenarios: compare-and-set and append decided at
//! commit by the multicast models, and at the client's own replica by causal and eventual ones,
//! where last-writer-wins loses one of two concurrent updates.

use kvsim::check::Property;
use kvsim::protocol::Model;

use super::{run, Outcome};

/// Client `client`'s first operation, a compare-and-set: whether it succeeded, and what it saw if
/// not.
fn cas_result(outcome: &Outcome, client: u32) -> (Option<bool>, Option<Option<&str>>) {
    let op = outcome.op(client, 0);
    assert!(op.returned_at.is_some(), "answered: {op:?}");
    (op.ok, op.seen.as_ref().map(|seen| seen.as_deref()))
}

#[test]
fn lost_update_multicast_models_let_exactly_one_compare_and_set_win() {
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("lost-update", model);
        assert_eq!(
            outcome.returned_at(2, 0),
            Some(20),
            "{model}: x = 0 everywhere by t=20"
        );
        assert_eq!(
            (outcome.invoked_at(0, 0), outcome.invoked_at(1, 0)),
            (100, 100)
        );
        assert_eq!(cas_result(&outcome, 0), (Some(true), None), "{model}");
        assert_eq!(
            cas_result(&outcome, 1),
            (Some(false), Some(Some("1"))),
            "{model}: client 1's fails and sees 1"
        );
        assert_eq!(
            (outcome.read(0, 1), outcome.read(1, 1)),
            (Some("1"), Some("1"))
        );
        assert!(outcome.stores_agree());
        for property in Property::ALL {
            outcome.holds(property);
        }
    }
}

#[test]
fn lost_update_causal_and_eventual_let_both_succeed_and_keep_one() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("lost-update", model);
        assert_eq!(
            (outcome.invoked_at(0, 0), outcome.invoked_at(1, 0)),
            (100, 100)
        );
        assert_eq!(outcome.store(0, "x"), Some("2"), "{model}");
        assert_eq!(cas_result(&outcome, 0), (Some(true), None), "{model}");
        assert_eq!(cas_result(&outcome, 1), (Some(true), None), "{model}");
        assert_eq!(
            outcome.read(0, 1),
            Some("2"),
            "{model}: client 0's update is lost"
        );
        // Replica 1 applied its own x = 2 first; client 0's x = 1 came later and lost on its stamp.
        assert_eq!(outcome.writes_applied(1), ["x=0", "x=2", "x=1!"], "{model}");
        assert!(
            outcome.stores_agree(),
            "{model}: last-writer-wins converges"
        );
        assert_eq!(outcome.broken(Property::Linearizable), "lost update");
        assert_eq!(outcome.broken(Property::Sequential), "lost update");
        let mut witness = outcome.witness_ops(Property::Sequential);
        witness.sort();
        assert!(
            witness.starts_with(&[(0, 0), (1, 0)]),
            "{model}: the witness names both compare-and-sets: {witness:?}"
        );
        outcome.holds(Property::Causal);
        outcome.holds(Property::CausalConvergence);
    }
}

#[test]
fn lost_append_multicast_models_keep_both_elements() {
    for model in [Model::Linearizable, Model::Sequential] {
        let outcome = run("lost-append", model);
        assert_eq!((outcome.invoked_at(0, 0), outcome.invoked_at(1, 0)), (0, 0));
        assert_eq!(
            (outcome.read(0, 1), outcome.read(1, 1)),
            (Some("a;b;"), Some("a;b;"))
        );
        for property in Property::ALL {
            outcome.holds(property);
        }
    }
}

#[test]
fn lost_append_causal_and_eventual_keep_only_one_element() {
    for model in [Model::Causal, Model::Eventual] {
        let outcome = run("lost-append", model);
        assert_eq!(
            (outcome.read(0, 1), outcome.read(1, 1)),
            (Some("b;"), Some("b;"))
        );
        assert_eq!(outcome.writes_applied(0), ["l=a;", "l=b;"], "{model}");
        assert_eq!(outcome.writes_applied(1), ["l=b;", "l=a;!"], "{model}");
        assert_eq!(outcome.broken(Property::Linearizable), "lost update");
        assert_eq!(outcome.broken(Property::Sequential), "lost update");
        assert!(
            outcome.witness_ops(Property::Sequential).contains(&(0, 0)),
            "{model}: the witness names the lost append"
        );
        outcome.holds(Property::Causal);
        outcome.holds(Property::CausalConvergence);
    }
}
