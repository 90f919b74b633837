//! The CPython side: the Python program that stands for a scenario ([`program`]), finding
//! interpreters ([`discover`]), running them in subprocesses ([`process`]) or, many scenarios
//! at a time, in children forked by one long-lived interpreter ([`pool`]), and writing
//! reproducers of disagreements ([`repro`]).

pub mod discover;
pub mod pool;
pub mod portable;
pub mod process;
pub mod program;
pub mod repro;

pub use discover::{
    Discovery, Interpreter, Manager, PYTHONS_ENV, discover, discover_all, probe, resolve,
    searched_description,
};
pub use pool::{Pool, PoolStats, run_many};
pub use process::{RunError, parse_output, reproducer_command, run_program, run_scenario};
pub use program::{TRACE_BEGIN, TRACE_END, translate};
