//! Layer 6: the services every command is made of, one implementation of each policy.
//!
//! - [`context`]: what every command shares (`expected/`, the timeout, how gcconform is named);
//! - [`load`]: loading the scenarios a command is given;
//! - [`select`]: which interpreter stands for each version;
//! - [`engine`]: taking traces (model and live), reading expected files, checking;
//! - [`bless`]: the one writer of `expected/`;
//! - [`exit`]: the exit status and the rule that combines several;
//! - [`suite`]: the `cargo test` conformance suite, on the same engine and bless policy.

pub mod bless;
pub mod context;
pub mod engine;
pub mod exit;
pub mod load;
pub mod select;
pub mod suite;

pub use context::Context;
pub use exit::ExitStatus;
