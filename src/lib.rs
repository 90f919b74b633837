//! gcconform: checks, version by version, what CPython's garbage collector really does.
//!
//! Data flows one way: YAML ([`scenario`]) → validated [`scenario::Scenario`] → the Rust
//! [`model`] or a real interpreter ([`runner`]) → [`trace::Trace`] → comparison.

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
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod service;
pub mod trace;
pub mod util;
pub mod version;
