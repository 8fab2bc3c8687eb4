//! `--fail-on PROPERTY`: a gate for CI, which makes `kvsim run` and `kvsim sweep` exit 1 when a
//! property is broken in any run, and say on one line which gate failed.
//!
//! `own` stands for each model's own guarantee: the property its protocol promises, so that a sweep
//! over every model checks each protocol against its own promise (eventual consistency promises only
//! that the replicas converge).

use std::collections::BTreeMap;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use kvsim::check::{Property, Verdicts};
use kvsim::protocol::Model;
use kvsim::run::Run;
use kvsim::sweep::Summary;

/// One `--fail-on` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Property(Property),
    /// Each model's own guarantee.
    Own,
}

impl Gate {
    /// The property this gate holds a run of `model` to.
    pub fn property(self, model: Model) -> Property {
        match self {
            Gate::Property(property) => property,
            Gate::Own => match model {
                Model::Linearizable => Property::Linearizable,
                Model::Sequential => Property::Sequential,
                Model::Causal => Property::Causal,
                Model::Eventual => Property::Convergent,
            },
        }
    }

    fn name(self) -> &'static str {
        match self {
            Gate::Property(property) => property.name(),
            Gate::Own => "own",
        }
    }
}

/// Parses `own` or a property's JSON name (`causal_convergence`), so that a bad value gets clap's
/// one-line error, exit 2, and the list of good ones.
pub fn parser() -> impl TypedValueParser<Value = Gate> {
    let mut values = vec![PossibleValue::new("own").help("each model's own guarantee")];
    values.extend(Property::ALL.map(|p| PossibleValue::new(p.name())));
    PossibleValuesParser::new(values).map(|name| {
        Property::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .map_or(Gate::Own, Gate::Property)
    })
}

/// The gates that `runs` fail, as one line for stderr (`None`: every gate passed).
/// `verdicts[i]` belongs to `runs[i]`.
pub fn judge_runs(gates: &[Gate], runs: &[Run], verdicts: &[Verdicts]) -> Option<String> {
    let mut failed = Vec::new();
    for &gate in gates {
        let mut broken = Vec::new();
        for (run, verdicts) in runs.iter().zip(verdicts) {
            let property = gate.property(run.model);
            let verdict = verdicts.get(property);
            if verdict.ok == Some(false) {
                let anomaly = verdict.anomaly.as_deref().unwrap_or("broken");
                broken.push(format!(
                    "{} broken under {} ({anomaly})",
                    words(property),
                    run.model.name()
                ));
            }
        }
        if !broken.is_empty() {
            failed.push(format!("--fail-on {}: {}", gate.name(), broken.join(", ")));
        }
    }
    line(failed)
}

/// The gates that a sweep's summary fails, as one line for stderr (`None`: every gate passed).
pub fn judge_summary(gates: &[Gate], summary: &Summary) -> Option<String> {
    let mut failed = Vec::new();
    for &gate in gates {
        let mut broken = Vec::new();
        for model in &summary.models {
            let property = gate.property(model.model);
            let runs = model.broken.get(property.name()).copied().unwrap_or(0);
            if runs == 0 {
                continue;
            }
            let first = model
                .anomalies
                .iter()
                .filter(|a| a.property == property.name())
                .flat_map(|a| a.first_seeds.iter().copied())
                .min();
            let first = first.map_or(String::new(), |seed| format!(", first seed {seed}"));
            broken.push(format!(
                "{} broken under {} in {runs} run{}{first}",
                words(property),
                model.model.name(),
                if runs == 1 { "" } else { "s" }
            ));
        }
        if !broken.is_empty() {
            failed.push(format!("--fail-on {}: {}", gate.name(), broken.join(", ")));
        }
    }
    line(failed)
}

/// A tally of broken properties, for `--per-run`, whose runs are printed, not summarised.
#[derive(Default)]
pub struct Tally {
    /// (gate's position in `--fail-on`, model's position in [`Model::ALL`]) → the property that
    /// gate holds that model to, the runs that broke it, and the first of them. Ordered so that
    /// [`Tally::judge`] lists gates as given and models in their usual order.
    broken: BTreeMap<(usize, usize), (Property, u64, u64)>,
}

impl Tally {
    /// Counts the run of `model` at `seed`, whose broken properties (by JSON name) are `broken`.
    /// Runs come in seed order, so the first counted is the first seed.
    pub fn count<'a>(
        &mut self,
        gates: &[Gate],
        seed: u64,
        model: Model,
        broken: impl Iterator<Item = &'a str> + Clone,
    ) {
        let model_rank = Model::ALL.iter().position(|&m| m == model).unwrap_or(0);
        for (rank, &gate) in gates.iter().enumerate() {
            let property = gate.property(model);
            if broken.clone().any(|name| name == property.name()) {
                let entry = self
                    .broken
                    .entry((rank, model_rank))
                    .or_insert((property, 0, seed));
                entry.1 += 1;
            }
        }
    }

    /// The gates that failed, as one line for stderr.
    pub fn judge(&self, gates: &[Gate]) -> Option<String> {
        let mut failed = Vec::new();
        for (rank, &gate) in gates.iter().enumerate() {
            let broken: Vec<String> = self
                .broken
                .range((rank, 0)..(rank + 1, 0))
                .map(|(&(_, model), &(property, runs, seed))| {
                    format!(
                        "{} broken under {} in {runs} run{}, first seed {seed}",
                        words(property),
                        Model::ALL[model].name(),
                        if runs == 1 { "" } else { "s" }
                    )
                })
                .collect();
            if !broken.is_empty() {
                failed.push(format!("--fail-on {}: {}", gate.name(), broken.join(", ")));
            }
        }
        line(failed)
    }
}

fn words(property: Property) -> String {
    property.name().replace('_', " ")
}

fn line(failed: Vec<String>) -> Option<String> {
    (!failed.is_empty()).then(|| format!("kvsim: gate failed: {}", failed.join("; ")))
}
