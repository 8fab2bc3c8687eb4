//! What a hunt looks for: a property broken, a named anomaly, or both.

use crate::check::{glossary, Property, Verdicts};

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

    /// Whether a broken `property` (by name) with `anomaly` is what this target looks for.
    pub fn matches(&self, property: &str, anomaly: &str) -> bool {
        self.property.is_none_or(|p| p.name() == property)
            && self
                .anomaly
                .as_deref()
                .is_none_or(|name| matches(anomaly, name))
    }

    /// The first property (in [`Property::ALL`] order) that `verdicts` show broken as this target
    /// looks for.
    pub fn find(&self, verdicts: &Verdicts) -> Option<Shown> {
        Property::ALL.into_iter().find_map(|property| {
            let verdict = verdicts.get(property);
            let anomaly = verdict.anomaly.as_deref()?;
            (verdict.ok == Some(false) && self.matches(property.name(), anomaly)).then(|| Shown {
                property,
                anomaly: anomaly.to_string(),
            })
        })
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
