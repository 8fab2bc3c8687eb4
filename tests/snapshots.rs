//! Snapshot tests: every scenario in `scenarios/` under every model, stored in the top-level
//! `snapshots/` as `<model>@<scenario>.snap` (everything `kvsim run --model M --show all` prints),
//! plus the default view of all four models side by side as `side-by-side@<scenario>.snap` (what
//! `kvsim run` prints), and the protocol events of every teaching scenario (all but `largest`) as
//! `trace-<model>@<scenario>.snap`.
//!
//! A changed snapshot is a changed behaviour: review it with `cargo insta review` (or read the
//! `.snap.new` file) before accepting it.

use kvsim::check::check_run;
use kvsim::protocol::Model;
use kvsim::report::{render, render_trace, Show};
use kvsim::scenario::Scenario;
use kvsim::sim::{simulate, simulate_recording, Record};

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

/// The message-level story of each teaching scenario: a protocol change that changes what is sent,
/// held back or released shows up here in review. `largest` is left out: its traces run to
/// thousands of lines that no reviewer reads.
#[test]
fn every_teaching_scenario_tells_its_story() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::glob!("../scenarios", "*.json", |path| {
            if path.file_name().is_some_and(|name| name == "largest.json") {
                return;
            }
            let config =
                Scenario::load(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            for model in Model::ALL {
                let run = simulate_recording(&config, model, Record::Events);
                let trace = render_trace(&run).expect("a run recording events has a trace");
                insta::assert_snapshot!(format!("trace-{}", model.name()), trace);
            }
        });
    });
}
