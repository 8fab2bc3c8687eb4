//! kvsim: a deterministic discrete-event simulator of a replicated key-value store, under four
//! consistency models side by side.
//!
//! Replicas and clients are sans-IO state machines driven by one seeded event queue with simulated
//! network delays, so the same scenario and seed always give the same interleaving, byte for byte.
//! Run one scenario under linearizable, sequential, causal and eventual replicas and see where their
//! answers differ, and why.
//!
//! # Layout
//!
//! Read the modules in this order:
//!
//! - [`ids`] and [`op`]: replicas, clients, time; the operations clients ask for.
//! - [`protocol`]: the replicas, one module per consistency model, with what they share —
//!   [`protocol::channel`] (reliable channels: retransmission, de-duplication, order),
//!   [`protocol::clocks`] (Lamport and vector clocks), [`protocol::tob`] (totally-ordered multicast),
//!   [`protocol::lww`] (last-writer-wins); [`protocol::note`] (what a replica explains about what
//!   it holds back, when asked) and [`protocol::summary`] (what a packet carries, for traces).
//! - [`client`]: closed-loop clients and generated workloads.
//! - [`scenario`]: the scenario file format, validated into a [`scenario::Config`]; [`json`] pins
//!   parse errors to their place.
//! - [`sim`]: the engine — event queue, network, faults ([`sim::fault`], [`sim::nemesis`]), the loop
//!   that drives everything.
//! - [`history`] and [`run`]: what a run produces; [`events`]: the protocol events it records when
//!   asked (`--trace`); [`history::formats`]: histories other tools record (Jepsen, Maelstrom,
//!   Porcupine) read into the checkers' input, and kvsim's written as Jepsen EDN.
//! - [`check`]: the consistency checkers, which judge a history without looking inside the protocols;
//!   [`check::glossary`] names every anomaly they find, with one plain sentence each.
//! - [`sweep`]: many seeds of one scenario, in parallel, judged and summarised, failures grouped
//!   by kind.
//! - [`hunt`]: search seeds for a run that shows an anomaly and shrink its scenario to what the
//!   anomaly needs (delays pinned with [`sim::schedule`]).
//! - [`report`]: the text and JSON renderings of runs and sweeps — [`report::render`] lays out the
//!   sections [`report::Show`] picks, [`report::render_svg`] draws a run's space-time diagram;
//!   [`text`] escapes user text they echo — and the results folder of `--out`
//!   ([`report::write_results`]) with its self-contained HTML report ([`report::render_html`]).
//! - [`net`]: the same replicas and clients over real TCP, as processes (`kvsim replica`,
//!   `kvsim client`, `kvsim cluster`), judged by the same checkers.
//!
//! # Example
//!
//! The library does what the `kvsim` binary does, without printing:
//!
//! ```
//! use kvsim::protocol::Model;
//! use kvsim::scenario::Scenario;
//! use kvsim::sim::simulate;
//!
//! // Client 0 writes x at replica 0; client 1 reads it at replica 1 at once.
//! let json = r#"{
//!     "replicas": 2,
//!     "network": {"delay": {"constant": 10}},
//!     "clients": [
//!         {"replica": 0, "ops": [{"put": ["x", "1"]}]},
//!         {"replica": 1, "ops": [{"get": "x"}]}
//!     ]
//! }"#;
//! let config = Scenario::parse(json)?.validate("example")?;
//!
//! // Eventual replicas answer the read from replica 1's store, which has not heard of the write yet.
//! let eventual = simulate(&config, Model::Eventual);
//! assert_eq!(eventual.history[1].value, None);
//!
//! // Linearizable replicas order the read with the write (stamps 1@r0 before 1@r1) and return it.
//! let linearizable = simulate(&config, Model::Linearizable);
//! assert_eq!(linearizable.history[1].value.as_deref(), Some("1"));
//! # Ok::<(), kvsim::scenario::ScenarioError>(())
//! ```
//!
//! Data flows one way: scenario → config → simulation → run → report. Nothing in the library prints
//! or exits; the `kvsim` binary does that.

pub mod check;
pub mod client;
pub mod events;
pub mod history;
pub mod hunt;
pub mod ids;
pub mod json;
pub mod net;
pub mod op;
pub mod protocol;
pub mod report;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod text;
