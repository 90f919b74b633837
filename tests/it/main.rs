//! The integration tests: one test binary (one link of the crate), a libtest-mimic harness
//! ([`harness`]). Each module is one former test file and lists its tests at its end
//! (`harness::tests!`); a trial is named `module::test`, so the usual filters work:
//! `cargo test --test it -- runner::`, `-- --ignored`, `-- --list`, `-- --exact
//! bless::ci_refuses`. The conformance suite over `scenarios/` is the other harness,
//! `tests/conformance.rs`.

mod common;
mod harness;

mod bad;
mod bench;
mod bless;
mod cli;
mod corpus;
mod discovery;
mod explain;
mod faults;
mod graph;
mod layers;
mod loader_props;
mod matrix;
mod output;
mod portability;
mod runner;
mod schema;
mod startup;
mod workflow;
mod workflow_cli;

fn main() {
    harness::main(&[
        bad::trials,
        bench::trials,
        bless::trials,
        cli::trials,
        corpus::trials,
        discovery::trials,
        explain::trials,
        faults::trials,
        graph::trials,
        layers::trials,
        loader_props::trials,
        matrix::trials,
        output::trials,
        portability::trials,
        runner::trials,
        schema::trials,
        startup::trials,
        workflow::trials,
        workflow_cli::trials,
    ])
}
