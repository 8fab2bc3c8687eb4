//! The text output of `kvsim run`: one model's run, or several side by side, in the sections `--show`
//! asks for.
//!
//! Several models read top to bottom: the scenario once, what each operation returned under each
//! model, the final stores and the cost, the verdict matrix with each distinct witness once, then each
//! model's replicas in a few lines.

use std::fmt::Write;

use super::committed::render_committed;
use super::compare::{side_by_side_cost, side_by_side_history, side_by_side_stores};
use super::show::{Section, Show};
use super::trace::faults;
use super::{heading, render_matrix, render_run};
use crate::check::glossary::Explained;
use crate::check::Verdicts;
use crate::run::Run;
use crate::scenario::Config;

/// The last line of a short view: how to see what it left out.
pub const SEE_EVERYTHING: &str =
    "(--show all for the full history, committed orders and stores; --trace for every message)\n";

/// `runs` of one scenario as text (`verdicts[i]` belongs to `runs[i]`): one run alone, or several
/// side by side.
pub fn render(config: &Config, runs: &[Run], verdicts: &[Verdicts], show: &Show) -> String {
    let mut explained = Explained::default();
    let mut out = match (runs, verdicts) {
        ([run], [verdicts]) => render_run(config, run, verdicts, show, &mut explained),
        _ => render_several(config, runs, verdicts, show, &mut explained),
    };
    if !show.full() {
        out.push('\n');
        out.push_str(SEE_EVERYTHING);
    }
    out
}

/// Several models' runs of one scenario, side by side.
fn render_several(
    config: &Config,
    runs: &[Run],
    verdicts: &[Verdicts],
    show: &Show,
    explained: &mut Explained,
) -> String {
    let mut out = String::new();
    let models: Vec<&str> = runs.iter().map(|r| r.model.name()).collect();
    heading(&mut out, config, &models.join(", "));
    if show.has(Section::Summary) {
        // Scripted faults happen alike under every model; list them once when they did.
        match runs.split_first() {
            Some((first, rest)) if rest.iter().all(|r| r.faults == first.faults) => {
                faults(&mut out, config, first, "");
            }
            _ => {
                for run in runs {
                    faults(
                        &mut out,
                        config,
                        run,
                        &format!(" under {}", run.model.name()),
                    );
                }
            }
        }
    }
    if show.has(Section::History) {
        side_by_side_history(&mut out, runs, show.full());
    }
    if show.has(Section::Stores) {
        side_by_side_stores(&mut out, config, runs, show.full());
    }
    if show.has(Section::Summary) {
        side_by_side_cost(&mut out, runs);
    }
    if show.has(Section::Verdicts) {
        out.push('\n');
        out.push_str(&render_matrix(runs, verdicts, explained));
    }
    if show.has(Section::Committed) {
        out.push_str("\n=== committed orders (what each replica applied, in order) ===\n");
        for run in runs {
            let mut text = String::new();
            render_committed(&mut text, run, show.full(), "    ");
            let name = run.model.name();
            // The first line says whether the replicas agree; any columns follow it, indented.
            let mut lines = text.lines();
            let first = lines.next().unwrap_or_default().trim_start();
            let _ = writeln!(out, "  {name:<12}  {first}");
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}
