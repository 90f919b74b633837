//! gcconform: checks, version by version, what CPython's garbage collector really does.
//!
//! Data flows one way: YAML ([`scenario`]) → validated [`scenario::Scenario`] → the Rust
//! [`model`] or a real interpreter ([`runner`]) → [`trace::Trace`] → comparison with
//! [`expected`] ([`compare`]).
//!
//! # The layer rule
//!
//! Each module imports only modules of lower layers (and its own submodules); `tests/it/layers.rs`
//! enforces it, so no import circle can come back. Lowest first:
//!
//! 1. [`util`]: atomic writes, the panic guard, shell quoting, the LCG, the terminal;
//! 2. [`version`]: the modelled versions and version ranges;
//! 3. [`trace`]: the event vocabulary, its text form, labels, grouping by version;
//! 4. [`scenario`]: the scenario language (raw YAML shape and the JSON Schema derived from it,
//!    positions, statements, checks, loading);
//! 5. [`model`] (the Rust model of CPython's collector), [`runner`] (real interpreters) and
//!    [`expected`] (the recorded traces);
//! 6. [`compare`] (checks, reports, the expected-failure list, how checks are shown),
//!    [`explain`] and [`graph`] (views of the model's run);
//! 7. [`service`]: loading, interpreter selection, the check engine, the bless policy, the exit
//!    status, the conformance suite;
//! 8. [`matrix`], [`fuzz`], [`bench`], [`portability`]: reports and campaigns built on the
//!    services;
//! 9. [`commands`]: one file per subcommand;
//! 10. [`cli`]: parse and dispatch.
//!
//! `docs/ARCHITECTURE.md` has the picture and recipes for the common changes.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod expected;
pub mod explain;
pub mod fuzz;
pub mod graph;
pub mod matrix;
pub mod model;
pub mod portability;
pub mod runner;
pub mod scenario;
pub mod service;
pub mod trace;
pub mod util;
pub mod version;
