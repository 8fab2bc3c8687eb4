//! What a hunt looks for: a property broken, a named anomaly, or both.

use crate::check::{check_property, check_run, glossary, CheckHistory, Property, Verdicts};
use crate::protocol::Store;
use crate::run::Run;

/// What a hunt looks for. A run shows it when a property is broken — `property`, if given — with an
/// anomaly called `anomaly`, if given. An anomaly name matches with or without its parenthesised
/// detail: `causal reversal` matches `causal reversal (WriteCORead)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    property: Option<Property>,
    anomaly: Option<String>,
}

/// What a run showed of a [`Target`]: the broken property and its anomaly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub property: Property,
    pub anomaly: String,
}

impl Target {
    /// A target from `--property` and `--anomaly`, at least one of them given. An anomaly must be
    /// one the checkers can name.
    pub fn new(property: Option<Property>, anomaly: Option<&str>) -> Result<Target, String> {
        if property.is_none() && anomaly.is_none() {
            return Err("say what to hunt for: --property, --anomaly, or both".into());
        }
        if let Some(name) = anomaly {
            if !glossary::ANOMALIES
                .iter()
                .any(|(known, _)| matches(known, name))
            {
                let mut names: Vec<&str> = glossary::ANOMALIES
                    .iter()
                    .map(|(known, _)| known.split(" (").next().unwrap_or(known))
                    .collect();
                names.dedup();
                return Err(format!(
                    "no checker names an anomaly {name:?}; the anomalies are: {}",
                    names.join(", ")
                ));
            }
        }
        Ok(Target {
            property,
            anomaly: anomaly.map(str::to_string),
        })
    }

    /// This target narrowed to the very anomaly a run showed (`causal reversal` to `causal reversal
    /// (WriteCOInitRead)`), so that shrinking that run keeps that anomaly rather than drifting to
    /// another that breaks the same property.
    pub fn narrowed_to(&self, shown: &Shown) -> Target {
        Target {
            property: self.property,
            anomaly: Some(shown.anomaly.clone()),
        }
    }

    /// Whether a broken `property` (by name) with `anomaly` is what this target looks for.
    pub fn matches(&self, property: &str, anomaly: &str) -> bool {
        self.property.is_none_or(|p| p.name() == property)
            && self
                .anomaly
                .as_deref()
                .is_none_or(|name| matches(anomaly, name))
    }

    /// The property `verdicts` show broken as this target looks for; of several, the weakest (a
    /// causal reversal breaks sequential consistency too, but it is causality it is about).
    pub fn find(&self, verdicts: &Verdicts) -> Option<Shown> {
        WEAKEST_FIRST.into_iter().find_map(|property| {
            let verdict = verdicts.get(property);
            let anomaly = verdict.anomaly.as_deref()?;
            (verdict.ok == Some(false) && self.matches(property.name(), anomaly)).then(|| Shown {
                property,
                anomaly: anomaly.to_string(),
            })
        })
    }

    /// What `run` shows of this target, running only the checkers that can show it: the property's,
    /// or those that can name the anomaly ([`glossary::named_by`]). When one of them cannot decide,
    /// every checker is run, as [`check_run`] does, so that the answer is always what `kvsim run`
    /// would find — only faster, which is what a search over thousands of seeds needs.
    pub fn find_in_run(&self, run: &Run) -> Option<Shown> {
        let history = CheckHistory::from_run(&run.history);
        let stores: Vec<Store> = run.replicas.iter().map(|r| r.store.clone()).collect();
        for property in self.properties() {
            let verdict = check_property(&history, Some(&stores), property);
            match (verdict.ok, verdict.anomaly) {
                (None, _) => return self.find(&check_run(run)),
                (Some(false), Some(anomaly)) if self.matches(property.name(), &anomaly) => {
                    return Some(Shown { property, anomaly })
                }
                _ => {}
            }
        }
        None
    }

    /// The properties whose checkers can show this target.
    fn properties(&self) -> Vec<Property> {
        if let Some(property) = self.property {
            return vec![property];
        }
        let mut properties = Vec::new();
        for (known, _) in glossary::ANOMALIES {
            if self
                .anomaly
                .as_deref()
                .is_some_and(|name| matches(known, name))
            {
                for &property in glossary::named_by(known) {
                    if !properties.contains(&property) {
                        properties.push(property);
                    }
                }
            }
        }
        properties
    }

    /// In words, for messages: `a stale read (linearizable broken)`.
    pub fn describe(&self) -> String {
        match (&self.anomaly, self.property) {
            (Some(anomaly), Some(property)) => format!("{anomaly} ({} broken)", property.name()),
            (Some(anomaly), None) => anomaly.clone(),
            (None, Some(property)) => format!("{} broken", property.name()),
            (None, None) => String::new(),
        }
    }
}

/// The properties from the weakest to the strongest: the session guarantees, causal, causal
/// convergence, sequential, linearizable; convergence, which none of them implies, first.
const WEAKEST_FIRST: [Property; 9] = [
    Property::Convergent,
    Property::ReadYourWrites,
    Property::MonotonicReads,
    Property::MonotonicWrites,
    Property::WritesFollowReads,
    Property::Causal,
    Property::CausalConvergence,
    Property::Sequential,
    Property::Linearizable,
];

/// Whether the anomaly `found` is called `name`: exactly, or up to its parenthesised detail.
fn matches(found: &str, name: &str) -> bool {
    found == name
        || found
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(" ("))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anomaly_matches_with_or_without_its_detail() {
        let target = Target::new(None, Some("causal reversal")).unwrap();
        assert!(target.matches("causal", "causal reversal (WriteCORead)"));
        assert!(target.matches("causal", "causal reversal (WriteCOInitRead)"));
        assert!(!target.matches("causal", "causality cycle (CyclicCO)"));
        let exact = Target::new(None, Some("causal reversal (WriteCORead)")).unwrap();
        assert!(!exact.matches("causal", "causal reversal (WriteCOInitRead)"));
    }

    #[test]
    fn a_property_and_an_anomaly_must_both_match() {
        let target = Target::new(Some(Property::Linearizable), Some("stale read")).unwrap();
        assert!(target.matches("linearizable", "stale read"));
        assert!(!target.matches("sequential", "stale read"));
        assert!(!target.matches("linearizable", "real-time violation"));
    }

    #[test]
    fn unknown_anomalies_and_empty_targets_are_refused() {
        let err = Target::new(None, Some("stale")).unwrap_err();
        assert!(err.contains("stale read"), "{err}");
        assert!(Target::new(None, None).is_err());
    }
}
