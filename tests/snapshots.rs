//! Snapshot tests: every scenario in `scenarios/` under every model, stored in the top-level
//! `snapshots/` as `<model>@<scenario>.snap` (everything `kvsim run --model M --show all` prints),
//! plus the default view of all four models side by side as `side-by-side@<scenario>.snap` (what
//! `kvsim run` prints).
//!
//! A changed snapshot is a changed behaviour: review it with `cargo insta review` (or read the
//! `.snap.new` file) before accepting it.

use kvsim::check::check_run;
use kvsim::protocol::Model;
use kvsim::report::{render, Show};
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

#[test]
fn every_scenario_under_every_model() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../scenarios", "*.json", |path| {
            let config =
                Scenario::load(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let mut runs = Vec::new();
            let mut verdicts = Vec::new();
            for model in Model::ALL {
                let run = simulate(&config, model);
                let checked = check_run(&run);
                let alone = render(
                    &config,
                    std::slice::from_ref(&run),
                    std::slice::from_ref(&checked),
                    &Show::everything(),
                );
                insta::assert_snapshot!(model.name(), alone);
                runs.push(run);
                verdicts.push(checked);
            }
            let side = render(&config, &runs, &verdicts, &Show::default());
            insta::assert_snapshot!("side-by-side", side);
        });
    });
}
