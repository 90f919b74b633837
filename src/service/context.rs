//! What every command shares: where `expected/` is, how long an interpreter may run one
//! scenario, and how messages name the command that records expected traces.

use crate::compare::check;
use crate::scenario::Scenario;
use crate::util::shell_quote;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The default `expected/` directory (relative to where gcconform runs).
pub const DEFAULT_EXPECTED: &str = "expected";

/// The shared context of a command.
#[derive(Debug, Clone)]
pub struct Context {
    /// The `expected/` directory.
    pub expected: PathBuf,
    /// How long an interpreter may run one scenario.
    pub timeout: Duration,
    /// How messages name gcconform: `gcconform` (the command line), `cargo run --release --`
    /// (the test suite).
    pub program: String,
}

impl Context {
    /// The context of the `gcconform` command line.
    pub fn cli(expected: PathBuf, timeout: Duration) -> Context {
        Context {
            expected,
            timeout,
            program: "gcconform".into(),
        }
    }

    /// `expected/<id>.trace` for a scenario.
    pub fn expected_path(&self, s: &Scenario) -> PathBuf {
        crate::expected::expected_path(&self.expected, s)
    }

    /// The `--expected DIR` to repeat in a suggested command, when not the default.
    pub fn expected_arg(&self) -> Option<&Path> {
        (self.expected != Path::new(DEFAULT_EXPECTED)).then_some(self.expected.as_path())
    }

    /// ` --expected DIR` (quoted for a shell) when not the default, else nothing: what a
    /// suggested command repeats to find the same `expected/`.
    pub fn expected_option(&self) -> String {
        self.expected_arg()
            .map(|d| format!(" --expected {}", shell_quote(&d.to_string_lossy())))
            .unwrap_or_default()
    }

    /// The command that records a scenario's expected traces from real CPython.
    pub fn bless_command(&self, s: &Scenario) -> String {
        check::bless_command(&self.program, &s.path, self.expected_arg())
    }
}
