//! Scenario loading and validation: YAML text → [`Scenario`], or diagnostics that name the file,
//! line and column of every problem.

pub mod ast;
mod check;
pub use check::random_edges_text;
pub mod parse;

pub use ast::{ClassDef, Pos, Scenario, Step, Stmt, Target, Value, tuple_is_new};
pub(crate) use check::assigned_name;

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file.display(),
            self.pos.line,
            self.pos.col,
            self.message
        )
    }
}

/// Every problem found in one scenario file (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The scenario id for a path: the part below the last `scenarios/` folder, without `.yaml`
/// (`scenarios/seed/cycle_with_del.yaml` → `seed/cycle_with_del`); otherwise the file stem.
pub fn scenario_id(path: &Path) -> String {
    let comps: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let tail: Vec<String> = match comps.iter().rposition(|c| c == "scenarios") {
        Some(i) if i + 1 < comps.len() => comps[i + 1..].to_vec(),
        _ => vec![comps.last().cloned().unwrap_or_default()],
    };
    let mut id = tail.join("/");
    for ext in [".yaml", ".yml"] {
        if let Some(s) = id.strip_suffix(ext) {
            id = s.to_string();
        }
    }
    id
}

/// Read and validate a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError {
        diagnostics: vec![Diagnostic {
            file: path.to_path_buf(),
            pos: Pos { line: 0, col: 0 },
            message: format!("cannot read the file: {e}"),
        }],
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let col = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            return Err(LoadError {
                diagnostics: vec![Diagnostic {
                    file: path.to_path_buf(),
                    pos: Pos { line, col },
                    message: "the file is not valid UTF-8".to_string(),
                }],
            });
        }
    };
    parse_scenario(path, &text)
}

/// Validate scenario text as if read from `path`.
pub fn parse_scenario(path: &Path, text: &str) -> Result<Scenario, LoadError> {
    check::check(path, text).map_err(|diagnostics| LoadError { diagnostics })
}

/// Every `.yaml`/`.yml` file under the given paths (files are taken as they are), sorted.
/// A path that does not exist is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
        for ext in ["yaml", "yml"] {
            let pattern = format!("{}/**/*.{ext}", glob::Pattern::escape(&p.to_string_lossy()));
            let entries = glob::glob(&pattern).map_err(|e| format!("{}: {e}", p.display()))?;
            for entry in entries {
                out.push(entry.map_err(|e| format!("{e}"))?);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}
