//! `gcconform run`: the model and every installed interpreter against `expected/`.

use crate::compare::check::{self, Check};
use crate::compare::output::{
    RunFormat, RunJson, Tally, print_failure, print_failure_and, print_run_summary,
    reproducer_lines,
};
use crate::service::engine::{Expected, Job, Results, Side, actual_label};
use crate::service::load::load_scenarios;
use crate::service::select::{Selection, discover, select};
use crate::service::{Context, ExitStatus};
use crate::version::{Version, version_list};
use clap::Args;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The arguments of `gcconform run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files or directories.
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// `text` (FAIL lines and a summary) or `json` (every check; see README).
    #[arg(long, value_enum, default_value_t)]
    pub format: RunFormat,
    /// Only these interpreters: a version (`3.12`), a CPython path, or `all` (repeatable).
    #[arg(long, value_name = "VERSION|PATH|all")]
    pub python: Vec<String>,
}

/// `gcconform run`.
pub fn exec(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let loaded = load_scenarios(&args.paths);
    let mut bad_input = loaded.bad_input;
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to check");
        return Ok(ExitStatus::BadInput);
    }
    let sel: Selection = select(&args.python, &discover());
    sel.report_problems();
    let mut interpreter_failed = !sel.failed.is_empty();
    bad_input |= !sel.bad.is_empty();
    let interps = &sel.interps;

    // Expected files, read once per scenario.
    let expected = Expected::read_all(&ctx.expected, &scenarios);
    for (s, e) in scenarios.iter().zip(&expected) {
        match &e.file {
            Ok(Some(f)) => {
                let stale: Vec<Version> = f
                    .blocks
                    .keys()
                    .copied()
                    .filter(|v| !s.applies_to(*v))
                    .collect();
                if !stale.is_empty() {
                    eprintln!(
                        "gcconform: warning: {} has blocks for {}, which {} does not apply \
                         to; `{}` drops them",
                        e.path.display(),
                        version_list(&stale),
                        s.id,
                        ctx.bless_command(s)
                    );
                }
            }
            Ok(None) => {}
            Err(err) => {
                eprintln!("{err}");
                bad_input = true;
            }
        }
    }

    let mut jobs = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        if !matches!(expected[k].file, Ok(Some(_))) {
            continue;
        }
        for v in s.applicable_versions() {
            jobs.push(Job {
                scenario: k,
                version: v,
                side: Side::Model,
            });
            if interps.contains_key(&v) {
                jobs.push(Job {
                    scenario: k,
                    version: v,
                    side: Side::Python,
                });
            }
        }
    }
    let results = Results::run(&jobs, &scenarios, interps, ctx.timeout, "checking");

    let mut tally = Tally::default();
    let json = args.format == RunFormat::Json;
    let mut report = RunJson::default();
    let mut jobs = jobs.iter().peekable();
    for (k, s) in scenarios.iter().enumerate() {
        let cmd = ctx.bless_command(s);
        let exp = &expected[k];
        let mut missing_said = BTreeSet::new();
        let file = match &exp.file {
            Ok(Some(f)) => f,
            unread => {
                // No (readable) expected file: every check of the scenario fails.
                let c = match unread {
                    Err(_) => Check::Error(format!("{} could not be read", exp.path.display())),
                    _ => Check::Missing(check::missing_file_message(s, &exp.path, &cmd)),
                };
                for v in s.applicable_versions() {
                    let mut sides = vec![(Side::Model, None)];
                    if let Some(i) = interps.get(&v) {
                        sides.push((Side::Python, Some(i)));
                    }
                    for (side, i) in sides {
                        tally.checks += 1;
                        tally.disagree += 1;
                        if json {
                            report.record(s, v, side.name(), actual_label(side, v, i), None, &c);
                        }
                    }
                }
                if unread.is_ok() && !json {
                    print_failure(&s.id, &c);
                }
                continue;
            }
        };
        while let Some(job) = jobs.next_if(|j| j.scenario == k) {
            let v = job.version;
            let interp = interps.get(&v).filter(|_| job.side == Side::Python);
            let label = actual_label(job.side, v, interp);
            let tag = match job.side {
                Side::Model => format!("model {v}"),
                Side::Python => format!("cpython {v}"),
            };
            let result = results.get(k, v, job.side).expect("every job was run");
            let mut c = exp.check(s, v, &label, result.as_ref().map_err(Clone::clone), &cmd);
            if let (Some(i), Check::Disagree { report, .. }) = (interp, &mut c)
                && let Some(rec) = file.releases.get(&v)
                && *rec != i.label()
            {
                report.push_str(&format!(
                    "note: expected/ was recorded from {rec}; this interpreter is {}\n",
                    i.label()
                ));
            }
            tally.add(&c);
            let live_failed = job.side == Side::Python && matches!(c, Check::Error(_));
            interpreter_failed |= live_failed;
            if json {
                let rec = file.releases.get(&v).cloned();
                report.record(s, v, job.side.name(), label, rec, &c);
                continue;
            }
            if let Check::Missing(_) = c {
                // Say once per version that its block is missing, not once per side.
                if missing_said.insert(v) {
                    print_failure(&format!("{v} {}", s.id), &c);
                }
            } else {
                let extra = if live_failed || matches!(c, Check::Disagree { .. }) {
                    reproducer_lines(
                        s,
                        v,
                        interps.get(&v),
                        file.blocks.get(&v),
                        results.get(k, v, Side::Python),
                        results.get(k, v, Side::Model),
                    )
                } else {
                    String::new()
                };
                print_failure_and(&format!("{tag} {}", s.id), &c, &extra);
            }
        }
    }
    if json {
        let labels = interps.iter().map(|(v, i)| (*v, i.label())).collect();
        print!(
            "{}",
            report.render(scenarios.len(), &labels, &sel.missing, bad_input)
        );
    } else {
        print_run_summary(interps, scenarios.len(), &tally, &sel.missing, bad_input);
    }
    Ok(ExitStatus::BadInput.when(bad_input)
        | ExitStatus::Interpreter.when(interpreter_failed)
        | ExitStatus::Disagree.when(tally.disagree > 0))
}
