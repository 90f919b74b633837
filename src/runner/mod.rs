//! The CPython side: the Python program that stands for a scenario ([`program`]), finding
//! interpreters ([`discover`]) and running them in subprocesses ([`process`]).

pub mod discover;
pub mod pool;
pub mod process;
pub mod program;

pub use discover::{Discovery, Interpreter, discover, probe, resolve};
pub use pool::{Pool, PoolStats, run_many};
pub use process::{RunError, parse_output, reproducer_command, run_program, run_scenario};
pub use program::{TRACE_BEGIN, TRACE_END, translate};
