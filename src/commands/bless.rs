//! `gcconform bless`: record `expected/` from every installed CPython (never from the model),
//! through the one bless policy ([`crate::service::bless`]).

use crate::commands::ScenarioSelect;
use crate::commands::{ExpectedDir, Timeout};
use crate::service::bless::{bless_all, describe, refusal};
use crate::service::select::select_python;
use crate::service::{Context, ExitStatus};
use crate::version::version_list;
use clap::Args;

/// The arguments of `gcconform bless`.
#[derive(Debug, Args)]
pub struct BlessArgs {
    #[command(flatten)]
    pub scenarios: ScenarioSelect,
    /// The CPython interpreters to record from: versions (`3.12`), ranges (`3.8-3.11`,
    /// `3.11+`), `all` (default), or an interpreter's path; repeatable or comma-separated.
    /// Versions not selected keep their blocks.
    #[arg(long, value_name = "VERSIONS|PATH")]
    pub python: Vec<String>,
    #[command(flatten)]
    pub expected: ExpectedDir,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// `gcconform bless`.
pub fn exec(ctx: &Context, args: &BlessArgs) -> anyhow::Result<ExitStatus> {
    if let Some(why) = refusal() {
        eprintln!("gcconform: {why}");
        return Ok(ExitStatus::BadInput);
    }
    let loaded = args.scenarios.load();
    let mut status = ExitStatus::BadInput.when(loaded.bad_input);
    let scenarios = loaded.scenarios;
    if scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to bless");
        return Ok(ExitStatus::BadInput);
    }
    // CPython builds no profile models are recorded as blocks of their own.
    let (unmodelled, python): (Vec<_>, Vec<_>) = args
        .python
        .iter()
        .map(|p| (p, crate::runner::resolve(p).ok()))
        .partition(|(_, i)| {
            i.as_ref()
                .is_some_and(crate::matrix::unmodelled::is_unmodelled_cpython)
        });
    for (_, interp) in &unmodelled {
        let interp = interp.as_ref().expect("resolved");
        status |= bless_unmodelled_all(ctx, &scenarios, interp);
    }
    if !unmodelled.is_empty() && python.is_empty() {
        return Ok(status);
    }
    let python: Vec<String> = python.into_iter().map(|(p, _)| p.clone()).collect();
    let mut sel = match select_python(&python) {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
    status |= ExitStatus::Interpreter.when(sel.failures());
    for (v, i) in sel.cpython_only() {
        eprintln!(
            "bless: {} ({}) is not CPython; expected/ is recorded from CPython only, so {v} \
             counts as missing",
            i.label(),
            i.path.display()
        );
    }
    if sel.interps.is_empty() {
        eprintln!(
            "bless: no CPython interpreter found; nothing can be recorded (see `gcconform interpreters`)"
        );
        return Ok(ExitStatus::BadInput);
    }
    for v in &sel.missing {
        eprintln!(
            "bless: no interpreter for {v}: keeping the {v} blocks already in {}",
            ctx.expected.display()
        );
    }

    let run = bless_all(
        &scenarios,
        &ctx.expected,
        &sel.interps,
        |_, _| true,
        ctx.timeout,
    );
    let mut blessed = run.scenarios.iter().peekable();
    for (k, s) in scenarios.iter().enumerate() {
        let Some(b) = blessed.next_if(|b| b.index == k) else {
            continue;
        };
        for (v, label, e) in &b.failures {
            eprintln!("bless: {} under {label}: {e}", s.id);
            if b.unrecorded.contains(v) {
                eprintln!("bless: {}: no {v} block recorded", b.path.display());
            } else {
                eprintln!("bless: {}: keeping its old {v} block", b.path.display());
            }
            status |= ExitStatus::Interpreter;
        }
        let unrecorded: Vec<_> = b
            .unrecorded
            .iter()
            .copied()
            .filter(|v| !b.failures.iter().any(|f| f.0 == *v))
            .collect();
        if !unrecorded.is_empty() {
            eprintln!(
                "bless: {}: no block for {} (no interpreter to record it)",
                s.id,
                version_list(&unrecorded)
            );
        }
        match &b.outcome {
            Err(e) => {
                eprintln!("{e}");
                status |= ExitStatus::BadInput;
            }
            Ok(o) if o.empty => eprintln!(
                "bless: {}: nothing recorded; {} not written",
                s.id,
                b.path.display()
            ),
            Ok(o) => println!("{}: {}", s.id, describe(&b.path, o)),
        }
    }
    Ok(status)
}

/// Record every scenario's trace under `interp`, a CPython build no profile models, as its own
/// block of each expected file ([`crate::service::bless::bless_unmodelled`]).
fn bless_unmodelled_all(
    ctx: &Context,
    scenarios: &[crate::scenario::Scenario],
    interp: &crate::runner::Interpreter,
) -> ExitStatus {
    let label = crate::matrix::unmodelled::label(interp);
    // A build no profile models stands after the newest modelled version: the scenarios that
    // apply to that version are recorded.
    let newest = *crate::version::Version::ALL.last().expect("versions");
    let (scenarios, skipped): (Vec<_>, Vec<_>) =
        scenarios.iter().partition(|s| s.applies_to(newest));
    for s in skipped {
        println!(
            "{}: skipped for {label} (unmodelled): the scenario does not apply to {newest}",
            s.id
        );
    }
    let refs: Vec<&crate::scenario::Scenario> = scenarios.clone();
    let traces = crate::runner::Pool::new(interp).run_scenarios(&refs, ctx.timeout);
    let mut status = ExitStatus::Ok;
    for (s, t) in scenarios.into_iter().zip(traces) {
        let path = crate::expected::expected_path(&ctx.expected, s);
        match t {
            Err(e) => {
                eprintln!("bless: {}: {label} produced no trace: {e}", s.id);
                status |= ExitStatus::Interpreter;
            }
            Ok(t) => match crate::service::bless::bless_unmodelled(s, &path, &label, &t) {
                Ok(true) => println!(
                    "{}: {}: recorded {label} (unmodelled)",
                    s.id,
                    path.display()
                ),
                Ok(false) => println!("{}: {} unchanged", s.id, path.display()),
                Err(e) => {
                    eprintln!("bless: {e}");
                    status |= ExitStatus::BadInput;
                }
            },
        }
    }
    status
}
