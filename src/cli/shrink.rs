//! `kvsim sweep --shrink`: the first seed of each kind of failure, shrunk as `kvsim hunt` shrinks it,
//! printed after the summary as a scenario that shows that failure by itself.

use std::path::Path;

use kvsim::check::Property;
use kvsim::hunt::{self, edit, Target};
use kvsim::scenario::{Config, Scenario};
use kvsim::sweep::Summary;

/// The text of the shrunk scenarios, one kind of failure after another, model by model; `Err` with
/// a message when the scenario cannot be read again or a first seed does not show its failure.
pub fn shrink_kinds(path: &Path, summary: &Summary) -> Result<String, String> {
    let (raw, config) = load(path).map_err(|err| {
        format!(
            "{}: {}",
            path.display(),
            kvsim::text::escape(&err.to_string())
        )
    })?;
    let mut out = String::from(
        "\nshrunk: the first seed of each kind of failure, cut down to what shows it (as kvsim\n\
         hunt does); each scenario below shows its failure by itself under its model\n",
    );
    let mut kinds = 0;
    for model_summary in &summary.models {
        let model = model_summary.model;
        for group in &model_summary.failures.groups {
            let Some(&seed) = group.first_seeds.first() else {
                continue;
            };
            let property = Property::ALL
                .into_iter()
                .find(|p| p.name() == group.property);
            let target = Target::new(property, Some(&group.anomaly))?;
            let mut at_seed = config.clone();
            at_seed.seed = seed;
            let shrunk = hunt::shrink(&raw, &at_seed, model, &target).map_err(|err| {
                format!(
                    "under {model}: {}: please report this",
                    kvsim::text::escape(&err.to_string())
                )
            })?;
            kinds += 1;
            out.push_str(&format!(
                "  {model}: {}, {} ({}), seed {seed}\n    shrunk to {} clients, {} operations, {} replicas:\n",
                group.property,
                group.anomaly,
                group.shape,
                edit::clients(&shrunk.scenario).len(),
                edit::operations(&shrunk.scenario).len(),
                shrunk.scenario.replicas,
            ));
            for line in hunt::to_json(&shrunk.scenario).lines() {
                out.push_str("    ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    if kinds == 0 {
        out.push_str("  no failure to shrink\n");
    }
    Ok(out)
}

/// The scenario as written and validated, named after its file as `kvsim run` names it.
pub fn load(path: &Path) -> Result<(Scenario, Config), kvsim::scenario::ScenarioError> {
    let text = std::fs::read_to_string(path)?;
    let raw = Scenario::parse(&text)?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let config = raw
        .clone()
        .validate(stem.as_deref().unwrap_or("scenario"))?;
    Ok((raw, config))
}
