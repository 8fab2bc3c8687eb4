//! kvsim against its yardstick: the bare event loop of `bare_loop/mod.rs` and each model on the
//! `workload-100k` scenario, timed in turn, round after round, with each model's rate of events per
//! second divided by the yardstick's *of the same round*.
//!
//! The machine is shared and its speed drifts from one second to the next; a ratio of two runs made
//! a fraction of a second apart cancels most of that drift, where two separate benchmark runs would
//! not. The table gives the median over the rounds and the spread (lowest and highest round).
//!
//! Events are not all alike: kvsim's runs pop an acknowledgement event for each message, which the
//! bare loop has no need of, so the table also gives each run's events and wall time: the time ratio
//! (the bare loop's time over the model's) is the fraction of the yardstick's speed per *operation*.
//!
//! Run with `cargo bench --bench yardstick` (`KVSIM_ROUNDS=N` for more or fewer rounds than 15).

mod bare_loop;

use std::time::Instant;

use kvsim::protocol::Model;
use kvsim::scenario::Scenario;
use kvsim::sim::simulate;

fn main() {
    let rounds: usize = std::env::var("KVSIM_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(15);
    let config = Scenario::parse(bare_loop::WORKLOAD_100K)
        .unwrap()
        .validate("workload-100k")
        .unwrap();
    let bare = bare_loop::run(&config);
    bare_loop::check_against(&bare, &simulate(&config, Model::Eventual));

    // Index 0: the bare loop; 1 + i: Model::ALL[i]. Events of one run, and its seconds per round.
    let mut events = vec![bare.events];
    events.extend(Model::ALL.map(|model| simulate(&config, model).stats.events));
    let mut seconds: Vec<Vec<f64>> = vec![Vec::new(); events.len()];
    for _ in 0..rounds {
        let start = Instant::now();
        bare_loop::run(&config);
        seconds[0].push(start.elapsed().as_secs_f64());
        for (i, model) in Model::ALL.into_iter().enumerate() {
            let start = Instant::now();
            simulate(&config, model);
            seconds[1 + i].push(start.elapsed().as_secs_f64());
        }
    }

    println!("workload-100k, {rounds} rounds; ratios are to the bare loop of the same round");
    println!(
        "{:<13} {:>7} {:>7} {:>10} {:>6} {:>12} {:>6} {:>10}",
        "", "events", "ms", "M events/s", "ratio", "lowest..top", "best", "time ratio"
    );
    let names = ["bare-loop"].into_iter().chain(Model::ALL.map(Model::name));
    for (i, name) in names.enumerate() {
        let rate = |i: usize, s: f64| events[i] as f64 / s;
        let rounds = seconds[i].iter().zip(&seconds[0]);
        let ratios: Vec<f64> = rounds
            .map(|(&s, &bare)| rate(i, s) / rate(0, bare))
            .collect();
        let (low, high) = spread(&ratios);
        let best = rate(i, fastest(&seconds[i])) / rate(0, fastest(&seconds[0]));
        println!(
            "{:<13} {:>7} {:>7.1} {:>10.2} {:>6.2} {:>5.2}..{:<5.2} {:>6.2} {:>10.2}",
            name,
            events[i],
            median(&seconds[i]) * 1e3,
            rate(i, median(&seconds[i])) / 1e6,
            median(&ratios),
            low,
            high,
            best,
            median(&seconds[0]) / median(&seconds[i]),
        );
    }
    println!(
        "ratio: median over the rounds of (model events/s) / (bare loop events/s), and its lowest and \
         top round; best: the same of each one's fastest round; time ratio: the bare loop's median \
         time over the model's, per operation"
    );
}

fn fastest(values: &[f64]) -> f64 {
    values.iter().copied().fold(f64::INFINITY, f64::min)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn spread(values: &[f64]) -> (f64, f64) {
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (low, high)
}
