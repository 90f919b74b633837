//! The CPython side: the Python program that stands for a scenario ([`program`]), finding
//! interpreters ([`discover`]) and running them in subprocesses ([`process`]).

pub mod discover;
pub mod process;
pub mod program;

pub use discover::{Discovery, Interpreter, discover, resolve};
pub use process::{RunError, run_scenario};
pub use program::translate;
