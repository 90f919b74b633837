//! The one interpreter-selection policy: which interpreter stands for each modelled version.
//!
//! Discovery ([`crate::runner::discover`]) finds at most one interpreter per version; a failing
//! discovery means "none found", never an abort. `--python` arguments (none or `all`: every
//! one found; otherwise versions and interpreter paths) narrow or replace them ([`select`]).
//! What is recorded in `expected/`, and what live checks against it compare with, comes from
//! CPython only ([`Selection::cpython_only`]): another implementation found for a version
//! counts as missing there.

use crate::runner::{self, Discovery, Interpreter, PYTHONS_ENV, searched_description};
use crate::util::guarded;
use crate::version::Version;
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

/// Which interpreters to use, given `--python` arguments (none, or `all`: every interpreter
/// discovery finds; otherwise each is a version, `3.12`, or an interpreter path or command,
/// which must be a CPython of a modelled version and replaces the one found for it).
pub fn select(specs: &[String], discovery: &Discovery) -> Selection {
    let mut sel = Selection::default();
    for (p, why) in &discovery.failed {
        sel.failed.push(format!(
            "{} (from ${PYTHONS_ENV}) is not a runnable interpreter: {why}",
            p.display()
        ));
    }
    let all = specs.is_empty() || specs.iter().any(|s| s == "all");
    if all {
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
    for spec in specs.iter().filter(|s| *s != "all") {
        if let Ok(v) = spec.parse::<Version>() {
            match discovery.get(v) {
                Some(i) => {
                    sel.interps.insert(v, i.clone());
                }
                None => sel.failed.push(format!(
                    "--python {spec}: no CPython {v} interpreter found; searched: {}",
                    searched_description(v)
                )),
            }
            continue;
        }
        let looks_like_version = spec
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if looks_like_version {
            sel.bad.push(format!(
                "--python {spec}: not a supported version (2.7, 3.6 … 3.13)"
            ));
            continue;
        }
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
    sel
}

impl Selection {
    /// Every interpreter discovery finds (no `--python`).
    pub fn all() -> Selection {
        select(&[], &discover())
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
