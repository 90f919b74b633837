//! `gcconform diff`: the model against every installed interpreter directly, without
//! `expected/`: how a new scenario is checked before it is blessed.

use crate::compare::check::{self, Check};
use crate::compare::output::{Tally, print_failure_and, print_run_summary, reproducer_lines};
use crate::service::engine::{Job, Results, Side};
use crate::service::load::load_scenarios;
use crate::service::select::{discover, select};
use crate::service::{Context, ExitStatus};
use crate::trace::group::version_matrix;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The arguments of `gcconform diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// Only these interpreters: a version (`3.12`), a CPython path, or `all` (repeatable).
    #[arg(long, value_name = "VERSION|PATH|all")]
    pub python: Vec<String>,
}

/// `gcconform diff`.
pub fn exec(ctx: &Context, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let loaded = load_scenarios(&args.paths);
    let mut bad_input = loaded.bad_input;
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to check");
        return Ok(ExitStatus::BadInput);
    }
    let sel = select(&args.python, &discover());
    sel.report_problems();
    let mut interpreter_failed = !sel.failed.is_empty();
    bad_input |= !sel.bad.is_empty();
    let interps = &sel.interps;
    if interps.is_empty() {
        eprintln!(
            "gcconform: warning: no interpreters found; there is nothing to compare the model with"
        );
    }
    let mut jobs = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        for v in s.applicable_versions() {
            if interps.contains_key(&v) {
                for side in [Side::Model, Side::Python] {
                    jobs.push(Job {
                        scenario: k,
                        version: v,
                        side,
                    });
                }
            }
        }
    }
    let mut results = Results::run(&jobs, &scenarios, interps, ctx.timeout, "checking");

    let mut tally = Tally::default();
    let mut matrices = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let mut py_traces = BTreeMap::new();
        let mut model_traces = BTreeMap::new();
        for v in s.applicable_versions() {
            let (Some(m), Some(p)) = (
                results.take(k, v, Side::Model),
                results.take(k, v, Side::Python),
            ) else {
                continue;
            };
            let i = &interps[&v];
            let c = match (&m, &p) {
                (Ok(mt), Ok(pt)) => {
                    check::compare(s, v, &i.label(), pt, &format!("model {v}"), mt, None)
                }
                (_, Err(e)) => Check::Error(format!("{} produced no trace: {e}", i.label())),
                (Err(e), _) => Check::Error(format!("model {v} produced no trace: {e}")),
            };
            tally.add(&c);
            interpreter_failed |= p.is_err();
            let extra = if c.agrees() {
                String::new()
            } else {
                reproducer_lines(s, v, Some(i), None, Some(&p), Some(&m))
            };
            print_failure_and(&format!("{v} {}", s.id), &c, &extra);
            if let (Ok(mt), Ok(pt)) = (m, p) {
                model_traces.insert(v, mt);
                py_traces.insert(v, pt);
            }
        }
        if !py_traces.is_empty() {
            let cp = version_matrix(&py_traces);
            let mm = version_matrix(&model_traces);
            let model_part = if model_traces == py_traces {
                "model agrees".to_string()
            } else if cp == mm {
                "model splits the same way but differs".to_string()
            } else {
                format!("model {mm}")
            };
            matrices.push(format!("{}: CPython {cp}; {model_part}", s.id));
        }
    }
    if !matrices.is_empty() {
        println!("version splits:");
        for m in matrices {
            println!("  {m}");
        }
    }
    print_run_summary(interps, scenarios.len(), &tally, &sel.missing, bad_input);
    Ok(ExitStatus::BadInput.when(bad_input)
        | ExitStatus::Interpreter.when(interpreter_failed)
        | ExitStatus::Disagree.when(tally.disagree > 0))
}
