//! Finding CPython interpreters: pyenv versions, PATH, `GCCONFORM_PYTHONS`, explicit paths.

use crate::version::Version;
use std::path::PathBuf;

/// One interpreter that was found and asked for its version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interpreter {
    pub path: PathBuf,
    /// The modelled version it corresponds to (major.minor), if any.
    pub version: Option<Version>,
    /// Exact release, e.g. `3.12.1`.
    pub release: String,
    /// `CPython`, `PyPy`, …
    pub implementation: String,
}

/// What discovery found, and which modelled versions have no interpreter.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    pub found: Vec<Interpreter>,
    pub missing: Vec<Version>,
}

impl Discovery {
    /// The interpreter for a version, if found.
    pub fn get(&self, v: Version) -> Option<&Interpreter> {
        self.found.iter().find(|i| i.version == Some(v))
    }
}

/// Find one interpreter per modelled version.
pub fn discover() -> Discovery {
    unimplemented!("runner helper writes this")
}

/// Resolve `--python`'s argument: a version (`3.12`) or a path.
pub fn resolve(_spec: &str) -> Result<Interpreter, String> {
    unimplemented!("runner helper writes this")
}
