//! The Rust model of CPython's memory management (refcounting plus the generational cyclic
//! collector), run under a per-version profile.

use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::version::Version;

/// A scenario the model could not run to its end (a Python exception at top level).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: `{text}` raises {exception} under {version}: {detail}")]
pub struct ModelError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub text: String,
    pub exception: String,
    pub detail: String,
    pub version: Version,
}

/// Run a scenario under the model of `version` and return its trace.
pub fn run(_scenario: &Scenario, _version: Version) -> Result<Trace, ModelError> {
    Ok(Trace::default())
}
