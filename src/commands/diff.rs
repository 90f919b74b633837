//! `gcconform diff`: the model against every installed interpreter directly, without
//! `expected/`: how a new scenario is checked before it is blessed. It prints what CPython did,
//! grouped by identical behaviour, with the model's agreement per version, then the
//! disagreements.

use crate::commands::Timeout;
use crate::commands::{Selected, Selectors};
use crate::compare::check::{self, Check};
use crate::compare::output::{
    Tally, fail_marker, failure_block, print_grouped, print_run_summary, reproducer_lines,
};
use crate::compare::verdict::release_differences;
use crate::service::engine::{Job, Results, Side, Startup};
use crate::service::{Context, ExitStatus};
use crate::trace::group::version_matrix;
use crate::version::Version;
use clap::Args;
use std::collections::BTreeMap;

/// The arguments of `gcconform diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub select: Selectors,
    /// Stop at the first scenario where the model and CPython differ.
    #[arg(long)]
    pub fail_fast: bool,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// `gcconform diff`.
pub fn exec(ctx: &Context, args: &DiffArgs) -> anyhow::Result<ExitStatus> {
    let Selected {
        scenarios,
        models,
        python: sel,
        bad_input,
        mut interpreter_failed,
    } = match args.select.resolve() {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    let interps = &sel.interps;
    if interps.is_empty() {
        eprintln!(
            "gcconform: warning: no interpreters found; there is nothing to compare the model with"
        );
    }
    // Both sides, for the versions that have an interpreter and a model selected.
    let both = |v: Version| interps.contains_key(&v) && models.includes(v);
    let jobs: Vec<Job> = (0..scenarios.len())
        .flat_map(|k| Job::for_scenario(k, scenarios[k].applicable_versions(), both, both))
        .collect();
    // The model starts from the start-up heap the live run measured.
    let mut results = Results::run(
        &jobs,
        &scenarios,
        interps,
        ctx.timeout,
        "checking",
        Startup::Live,
    );

    let mut tally = Tally::default();
    let mut matrices = Vec::new();
    'scenarios: for (k, s) in scenarios.iter().enumerate() {
        let mut py_traces = BTreeMap::new();
        let mut model_traces = BTreeMap::new();
        let mut failures = Vec::new();
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
            if !c.agrees() {
                let mut extra = reproducer_lines(s, v, Some(i), None, Some(&p), Some(&m));
                if let Some(d) = release_differences(v, v.reference_release(), &i.release) {
                    extra.push_str(&format!(
                        "    note: the model describes CPython {} (the release expected/ is \
                         recorded from); {} differs from it in {d}\n",
                        v.reference_release(),
                        i.label()
                    ));
                }
                failures.push(failure_block(
                    &format!("{} {v} {}", fail_marker(), s.id),
                    &c,
                    &extra,
                ));
            }
            if let Ok(pt) = p {
                py_traces.insert(v, pt);
            }
            if let Ok(mt) = m {
                model_traces.insert(v, mt);
            }
        }
        // What CPython did, grouped by identical behaviour, and whether the model agrees.
        if !py_traces.is_empty() {
            let labels: BTreeMap<Version, String> = py_traces
                .iter()
                .map(|(v, t)| {
                    let model = match model_traces.get(v) {
                        Some(m) if m == t => "the model agrees",
                        Some(_) => "the model differs, see below",
                        None => "the model produced no trace",
                    };
                    (*v, format!("{} ({model})", interps[v].label()))
                })
                .collect();
            println!("--- {} ({})", s.id, s.path.display());
            print_grouped(&py_traces, &labels);
            println!();
        }
        for f in &failures {
            print!("{f}");
            if args.fail_fast {
                println!("stopped at the first failure (--fail-fast)");
                break 'scenarios;
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
    print_run_summary(
        interps,
        scenarios.len(),
        &tally,
        &sel.missing,
        bad_input,
        "",
    );
    Ok(ExitStatus::BadInput.when(bad_input)
        | ExitStatus::Interpreter.when(interpreter_failed)
        | ExitStatus::Disagree.when(tally.failures() > 0))
}
