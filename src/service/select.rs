//! The one interpreter-selection policy: which interpreter stands for each modelled version.
//!
//! Discovery ([`crate::runner::discover`]) finds at most one interpreter per version; a failing
//! discovery means "none found", never an abort. `--python` arguments (none or `all`: every
//! one found; otherwise versions and interpreter paths) narrow or replace them ([`select`]).
//! What is recorded in `expected/`, and what live checks against it compare with, comes from
//! CPython only ([`Selection::cpython_only`]): another implementation found for a version
//! counts as missing there.

use super::ExitStatus;
use crate::runner::{self, Discovery, Interpreter, PYTHONS_ENV, searched_description};
use crate::util::guarded;
use crate::version::{Version, VersionSelection};
use std::collections::BTreeMap;

/// Discover interpreters, surviving a failing discovery (then: none found, and a note).
pub fn discover() -> Discovery {
    match guarded(runner::discover) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "gcconform: interpreter discovery failed ({e}); checking without interpreters"
            );
            Discovery {
                found: Vec::new(),
                missing: Version::ALL.to_vec(),
                ..Default::default()
            }
        }
    }
}

/// The interpreter used for each modelled version, and the versions that have none.
pub fn per_version(d: &Discovery) -> (BTreeMap<Version, Interpreter>, Vec<Version>) {
    let mut found = BTreeMap::new();
    let mut missing = Vec::new();
    for v in Version::ALL {
        match d.get(v) {
            Some(i) => {
                found.insert(v, i.clone());
            }
            None => missing.push(v),
        }
    }
    (found, missing)
}

/// The interpreters `run`/`diff` use: discovered ones, or the ones `--python` asks for.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// One interpreter per modelled version.
    pub interps: BTreeMap<Version, Interpreter>,
    /// Versions without an interpreter that were not asked for explicitly (a note).
    pub missing: Vec<Version>,
    /// Interpreters asked for explicitly (`--python`, `GCCONFORM_PYTHONS`) that are missing or
    /// not runnable, with the reason (a failure: exit status 3).
    pub failed: Vec<String>,
    /// `--python` arguments that cannot name an interpreter to check (bad input: status 2).
    pub bad: Vec<String>,
}

/// Which interpreters to use, given what `--python` selects ([`VersionSelection`]): `all`
/// (the default) takes every interpreter discovery found; each version takes the one found for
/// it (missing: a failure, it was asked for); each path or command must be a CPython of a
/// modelled version and replaces the one found for its version; `none` takes none.
pub fn select(wanted: &VersionSelection, discovery: &Discovery) -> Selection {
    let mut sel = Selection::default();
    for (p, why) in &discovery.failed {
        sel.failed.push(format!(
            "{} (from ${PYTHONS_ENV}) is not a runnable interpreter: {why}",
            p.display()
        ));
    }
    if wanted.all {
        for i in &discovery.found {
            if let Some(v) = i.version {
                sel.interps.entry(v).or_insert_with(|| i.clone());
            }
        }
        sel.missing = Version::ALL
            .into_iter()
            .filter(|v| !sel.interps.contains_key(v))
            .collect();
    }
    for &v in &wanted.versions {
        match discovery.get(v) {
            Some(i) => {
                sel.interps.insert(v, i.clone());
            }
            None => {
                sel.failed.push(format!(
                    "--python {v}: no CPython {v} interpreter found; searched: {}",
                    searched_description(v)
                ));
                sel.missing.push(v);
            }
        }
    }
    for spec in &wanted.paths {
        match runner::resolve(spec) {
            Ok(i) => match i.version {
                Some(v) => {
                    sel.interps.insert(v, i);
                }
                None => sel.bad.push(format!(
                    "--python {spec}: {} {} ({}) is not a CPython version gcconform models; \
                     `gcconform trace FILE --python {spec}` runs a scenario under it",
                    i.implementation,
                    i.release,
                    i.path.display()
                )),
            },
            Err(e) => sel.failed.push(format!("--python {spec}: {e}")),
        }
    }
    sel.missing.retain(|v| !sel.interps.contains_key(v));
    sel.missing.sort();
    sel.missing.dedup();
    sel
}

/// Parse `--python` values and select the interpreters; a bad value is printed and is the
/// error (exit status 2).
pub fn select_python(values: &[String]) -> Result<Selection, ExitStatus> {
    let wanted = VersionSelection::parse(values, true).map_err(|e| {
        eprintln!("gcconform: --python: {e}");
        ExitStatus::BadInput
    })?;
    let sel = select(&wanted, &discover());
    sel.report_problems();
    Ok(sel)
}

/// Parse `--model` values (versions only); a bad value is printed and is the error.
pub fn select_model(values: &[String]) -> Result<VersionSelection, ExitStatus> {
    VersionSelection::parse(values, false).map_err(|e| {
        eprintln!("gcconform: --model: {e}");
        ExitStatus::BadInput
    })
}

impl Selection {
    /// Every interpreter discovery finds (no `--python`).
    pub fn all() -> Selection {
        select(
            &VersionSelection::parse(&[], true).expect("no value means all"),
            &discover(),
        )
    }

    /// Whether some interpreter asked for is missing or not runnable (exit status 3).
    pub fn failures(&self) -> bool {
        !self.failed.is_empty()
    }

    /// Keep CPython only: the other interpreters are returned, and their versions count as
    /// missing.
    pub fn cpython_only(&mut self) -> Vec<(Version, Interpreter)> {
        let others: Vec<Version> = self
            .interps
            .iter()
            .filter(|(_, i)| !i.is_cpython())
            .map(|(v, _)| *v)
            .collect();
        let mut removed = Vec::new();
        for v in others {
            let i = self.interps.remove(&v).expect("present");
            removed.push((v, i));
            self.missing.push(v);
        }
        self.missing.sort();
        removed
    }

    /// Print what went wrong selecting (`gcconform: …` lines on stderr).
    pub fn report_problems(&self) {
        for m in self.failed.iter().chain(&self.bad) {
            eprintln!("gcconform: {m}");
        }
    }
}
