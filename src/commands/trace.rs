//! `gcconform trace`: a scenario's trace, from the model or from a real interpreter.

use crate::commands::Timeout;
use crate::compare::output::print_grouped;
use crate::runner::{self, Interpreter};
use crate::scenario::Scenario;
use crate::service::engine::{model_trace, python_trace};
use crate::service::load::load_one;
use crate::service::select::{discover, select, select_model};
use crate::service::{Context, ExitStatus};
use crate::util::guarded;
use crate::util::term::parallel_map;
use crate::version::{Version, VersionSelection, version_list};
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The arguments of `gcconform trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The scenario file.
    pub file: PathBuf,
    #[command(flatten)]
    pub source: TraceSource,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// Where `trace` takes its trace from.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TraceSource {
    /// The model: versions (`3.12`), ranges (`3.8-3.11`, `3.11+`) or `all` applicable ones;
    /// repeatable or comma-separated.
    #[arg(long, value_name = "VERSIONS")]
    pub model: Vec<String>,
    /// Real interpreters: versions, ranges, `all` installed ones, or an interpreter's path;
    /// repeatable or comma-separated.
    #[arg(long, value_name = "VERSIONS|PATH")]
    pub python: Vec<String>,
}

/// Whether a selection names exactly one thing (then the trace is printed alone, ungrouped).
fn single(sel: &VersionSelection) -> bool {
    !sel.all && sel.versions.len() + sel.paths.len() == 1
}

/// `gcconform trace`.
pub fn exec(ctx: &Context, args: &TraceArgs) -> anyhow::Result<ExitStatus> {
    let s = match load_one(&args.file) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let note_inapplicable = |v: Version| {
        if !s.applies_to(v) {
            eprintln!(
                "gcconform: note: {} does not apply to {v} (its versions: list); tracing anyway",
                s.id
            );
        }
    };
    if !args.source.model.is_empty() {
        let models = match select_model(&args.source.model) {
            Ok(m) => m,
            Err(status) => return Ok(status),
        };
        if single(&models) {
            let v = models.versions[0];
            note_inapplicable(v);
            return Ok(match model_trace(&s, v) {
                Ok(t) => {
                    print!("{}", t.to_text());
                    ExitStatus::Ok
                }
                Err(e) => {
                    eprintln!("gcconform: {e}");
                    ExitStatus::Disagree
                }
            });
        }
        let versions: Vec<Version> = if models.all {
            s.applicable_versions()
        } else {
            models.versions.clone()
        };
        let results = parallel_map(&versions, |v| model_trace(&s, *v));
        let mut traces = BTreeMap::new();
        let mut failed = false;
        for (v, r) in versions.iter().zip(results) {
            match r {
                Ok(t) => {
                    traces.insert(*v, t);
                }
                Err(e) => {
                    eprintln!("gcconform: {v}: {e}");
                    failed = true;
                }
            }
        }
        print_grouped(&traces, &BTreeMap::new());
        return Ok(ExitStatus::Disagree.when(failed));
    }

    let wanted = match VersionSelection::parse(&args.source.python, true) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("gcconform: --python: {e}");
            return Ok(ExitStatus::BadInput);
        }
    };
    if single(&wanted) && wanted.paths.len() == 1 {
        // One interpreter by path: any Python, modelled or not.
        let spec = &wanted.paths[0];
        let interp = match guarded(|| runner::resolve(spec)) {
            Ok(Ok(i)) => i,
            Ok(Err(e)) => {
                eprintln!("gcconform: --python {spec}: {e}");
                return Ok(ExitStatus::BadInput);
            }
            Err(p) => anyhow::bail!("resolving --python {spec}: {p}"),
        };
        if let Some(v) = interp.version {
            note_inapplicable(v);
        }
        return Ok(print_one(&interp, &s, ctx));
    }
    let sel = select(&wanted, &discover());
    sel.report_problems();
    if single(&wanted) {
        let v = wanted.versions[0];
        let Some(interp) = sel.interps.get(&v) else {
            return Ok(ExitStatus::Interpreter);
        };
        note_inapplicable(v);
        return Ok(print_one(interp, &s, ctx));
    }
    let runs: Vec<(Version, Interpreter)> = sel
        .interps
        .into_iter()
        .filter(|(v, _)| s.applies_to(*v))
        .collect();
    if runs.is_empty() {
        eprintln!(
            "gcconform: no installed interpreter for any version {} applies to",
            s.id
        );
        return Ok(ExitStatus::BadInput);
    }
    let results = parallel_map(&runs, |(_, i)| python_trace(i, &s, ctx.timeout));
    let mut traces = BTreeMap::new();
    let mut labels = BTreeMap::new();
    let mut failed = !sel.failed.is_empty();
    for ((v, i), r) in runs.iter().zip(results) {
        match r {
            Ok(t) => {
                let label = match t.startup_heap {
                    Some(n) => format!("{}; start-up heap {n}", i.label()),
                    None => i.label(),
                };
                traces.insert(*v, t);
                labels.insert(*v, label);
            }
            Err(e) => {
                eprintln!("gcconform: {v}: {e}");
                failed = true;
            }
        }
    }
    let missing: Vec<Version> = sel
        .missing
        .into_iter()
        .filter(|v| s.applies_to(*v))
        .collect();
    if !missing.is_empty() {
        eprintln!("gcconform: no interpreter for {}", version_list(&missing));
    }
    print_grouped(&traces, &labels);
    Ok(ExitStatus::Interpreter.when(failed))
}

/// Print one interpreter's trace (exit status 3 when it produced none).
fn print_one(interp: &Interpreter, s: &Scenario, ctx: &Context) -> ExitStatus {
    match python_trace(interp, s, ctx.timeout) {
        Ok(t) => {
            if let Some(n) = t.startup_heap {
                eprintln!("gcconform: {}: start-up heap {n} objects", interp.label());
            }
            print!("{}", t.to_text());
            ExitStatus::Ok
        }
        Err(e) => {
            eprintln!("gcconform: {}: {e}", interp.label());
            ExitStatus::Interpreter
        }
    }
}
