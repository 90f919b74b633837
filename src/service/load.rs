//! Loading the scenarios a command is given: every diagnostic of every bad file is printed,
//! and the others go on.

use super::ExitStatus;
use crate::scenario::{self, Scenario};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Scenarios loaded from the command line's paths; problems were printed on stderr.
pub struct Loaded {
    pub scenarios: Vec<Scenario>,
    /// Some path or file did not load (exit status 2).
    pub bad_input: bool,
}

/// Load every scenario under `paths`, printing every diagnostic of every bad file and going
/// on with the others. Two files with the same scenario id (they would share one expected
/// file) are bad input; the second is skipped.
pub fn load_scenarios(paths: &[PathBuf]) -> Loaded {
    let mut bad_input = false;
    let mut files = Vec::new();
    for p in paths {
        match scenario::discover(std::slice::from_ref(p)) {
            Ok(found) => {
                if found.is_empty() {
                    eprintln!("gcconform: {}: no .yaml scenario files", p.display());
                    bad_input = true;
                }
                files.extend(found);
            }
            Err(e) => {
                eprintln!("gcconform: {e}");
                bad_input = true;
            }
        }
    }
    let mut seen_files = BTreeSet::new();
    let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut scenarios = Vec::new();
    for f in files {
        let canonical = std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone());
        if !seen_files.insert(canonical) {
            continue;
        }
        match scenario::load(&f) {
            Ok(s) => {
                if let Some(other) = ids.get(&s.id) {
                    eprintln!(
                        "gcconform: {} and {} have the same scenario id `{}` (and would share \
                         one expected file); skipping the second",
                        other.display(),
                        f.display(),
                        s.id
                    );
                    bad_input = true;
                    continue;
                }
                ids.insert(s.id.clone(), f.clone());
                scenarios.push(s);
            }
            Err(e) => {
                eprintln!("{e}");
                bad_input = true;
            }
        }
    }
    Loaded {
        scenarios,
        bad_input,
    }
}

/// Load exactly one scenario file (`trace`, `translate`, `explain`, `graph`); its diagnostics
/// are printed, and the error is the exit status.
pub fn load_one(file: &Path) -> Result<Scenario, ExitStatus> {
    if !file.is_file() {
        eprintln!("gcconform: {}: no such file", file.display());
        return Err(ExitStatus::BadInput);
    }
    scenario::load(file).map_err(|e| {
        eprintln!("{e}");
        ExitStatus::BadInput
    })
}
