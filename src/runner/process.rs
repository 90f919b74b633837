//! Running a scenario's program under an interpreter and parsing its trace.

use super::Interpreter;
use crate::scenario::Scenario;
use crate::trace::Trace;
use std::time::Duration;

/// Why an interpreter run produced no trace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("could not start {path}: {reason}")]
    Spawn { path: String, reason: String },
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("interpreter failed ({status}): {stderr}")]
    Crashed { status: String, stderr: String },
    #[error("interpreter printed no valid trace: {0}")]
    BadOutput(String),
}

/// Run `scenario` under `interp`, killing it after `timeout`.
pub fn run_scenario(_interp: &Interpreter, _scenario: &Scenario, _timeout: Duration) -> Result<Trace, RunError> {
    unimplemented!("runner helper writes this")
}
