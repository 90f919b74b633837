//! `gcconform run`: the model and every installed interpreter against `expected/`.

use crate::commands::{ExpectedDir, Timeout};
use crate::commands::{Selected, Selectors};
use crate::compare::check::{self, Check};
use crate::compare::junit::{self, Case, Outcome};
use crate::compare::output::{
    RunFormat, RunJson, Tally, fail_marker, failure_block, failure_block_with, print_run_summary,
    reproducer_lines,
};
use crate::compare::verdict::{self, Verdict};
use crate::service::engine::{Expected, Job, Results, Side, Startup, actual_label};
use crate::service::{Context, ExitStatus};
use crate::version::{Version, version_list};
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};

/// The arguments of `gcconform run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub select: Selectors,
    /// `text` (FAIL reports and a summary), `json` (every check; see docs/formats.md) or
    /// `junit` (JUnit XML, one test case per scenario × version × side, for CI systems).
    #[arg(long, value_enum, default_value_t)]
    pub format: RunFormat,
    /// Stop at the first check that does not agree.
    #[arg(long)]
    pub fail_fast: bool,
    #[command(flatten)]
    pub expected: ExpectedDir,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// `gcconform run`.
pub fn exec(ctx: &Context, args: &RunArgs) -> anyhow::Result<ExitStatus> {
    let Selected {
        scenarios,
        models,
        python: sel,
        mut bad_input,
        mut interpreter_failed,
    } = match args.select.resolve() {
        Ok(s) => s,
        Err(status) => return Ok(status),
    };
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

    // With --fail-fast, one scenario at a time, stopping after the first that fails (the live
    // runs lose the batch's start-up sharing); otherwise everything at once.
    let all: Vec<usize> = (0..scenarios.len()).collect();
    let chunks: Vec<&[usize]> = if args.fail_fast {
        all.chunks(1).collect()
    } else {
        vec![&all[..]]
    };
    let mut results = Results::default();
    let mut checks: Vec<Entry> = Vec::new();
    let mut heap_changes: Vec<String> = Vec::new();
    let mut checked = 0;
    for chunk in chunks {
        let mut jobs = Vec::new();
        for &k in chunk {
            if !matches!(expected[k].file, Ok(Some(_))) {
                continue;
            }
            jobs.extend(Job::for_scenario(
                k,
                scenarios[k].applicable_versions(),
                |v| models.includes(v),
                |v| interps.contains_key(&v),
            ));
        }
        // The model starts from the start-up heap recorded with the expected trace.
        let recorded = |k: usize, v: Version| expected[k].block(v)?.startup_heap;
        results.merge(Results::run(
            &jobs,
            &scenarios,
            interps,
            ctx.timeout,
            "checking",
            Startup::Recorded(&recorded),
        ));
        // Every check, in order: scenario, version, side.
        let mut jobs = jobs.iter().peekable();
        for &k in chunk {
            let s = &scenarios[k];
            let cmd = ctx.bless_command(s);
            let exp = &expected[k];
            let Ok(Some(_)) = &exp.file else {
                // No (readable) expected file: every check of the scenario fails alike.
                let c = match &exp.file {
                    Err(_) => Check::Error(format!("{} could not be read", exp.path.display())),
                    _ => Check::Missing(check::missing_file_message(s, &exp.path, &cmd)),
                };
                for v in s.applicable_versions() {
                    if models.includes(v) {
                        checks.push(Entry::new(k, v, Side::Model, None, c.clone()));
                    }
                    if let Some(i) = interps.get(&v) {
                        checks.push(Entry::new(k, v, Side::Python, Some(i), c.clone()));
                    }
                }
                continue;
            };
            while let Some(job) = jobs.next_if(|j| j.scenario == k) {
                let v = job.version;
                let interp = interps.get(&v).filter(|_| job.side == Side::Python);
                let label = actual_label(job.side, v, interp);
                let result = results.get(k, v, job.side).expect("every job was run");
                let mut c = exp.check(s, v, &label, result.as_ref().map_err(Clone::clone), &cmd);
                // The start-up heap the interpreter began from, against the recorded one (the
                // model starts from the recorded one).
                if let (Some(i), Ok(live)) = (interp, result)
                    && let (Some(now), Some(then)) =
                        (live.startup_heap, exp.block(v).and_then(|t| t.startup_heap))
                    // A difference of an object or two is the fork server's own buffers at the
                    // fork (runner::program::STARTUP_HEAP); only `long_lived_total / 4` enters
                    // the heuristic, so that rarely moves anything. More is another interpreter.
                    && now.abs_diff(then) > STARTUP_HEAP_NOISE
                {
                    heap_changes.push(format!(
                        "{} under {}: recorded {then}, now {now}",
                        s.id,
                        i.label()
                    ));
                    if let Check::Disagree { report, .. } = &mut c {
                        report.push_str(&format!(
                            "note: the start-up heap differs: expected/ was recorded from {then} objects, this run began from {now}; automatic full collections can come at other times\n"
                        ));
                    }
                }
                interpreter_failed |= job.side == Side::Python && matches!(c, Check::Error(_));
                checks.push(Entry::new(k, v, job.side, interp, c));
            }
        }
        checked += chunk.len();
        if args.fail_fast && checks.iter().any(|e| !e.check.agrees()) {
            break;
        }
    }
    let stopped = checked < scenarios.len();
    if let Some(first) = heap_changes.first() {
        eprintln!(
            "gcconform: note: the start-up heap differs from the one recorded in expected/ in {} \
             check(s), by more than the fork server's own bookkeeping makes (first: {first}): another \
             build or patch release, or another harness; re-record with `gcconform bless` if \
             the traces still agree",
            heap_changes.len()
        );
    }
    let verdict = |e: &Entry| -> Option<Verdict> {
        let block = expected[e.scenario].block(e.version)?;
        let ok = |side| results.get(e.scenario, e.version, side)?.as_ref().ok();
        Verdict::of(block, ok(Side::Model), ok(Side::Python))
    };

    let mut tally = Tally::default();
    for e in &checks {
        tally.add(&e.check);
    }
    if args.format == RunFormat::Junit {
        let cases: Vec<Case> = checks
            .iter()
            .map(|e| Case {
                class: scenarios[e.scenario].id.clone(),
                name: format!("{} {}", e.side.name(), e.version),
                outcome: Outcome::of(&e.check),
            })
            .collect();
        print!("{}", junit::render("gcconform run", &cases));
    } else if args.format == RunFormat::Json {
        let mut report = RunJson::default();
        for e in &checks {
            let s = &scenarios[e.scenario];
            let rec = expected[e.scenario].release(e.version).cloned();
            let v = (!e.check.agrees()).then(|| verdict(e)).flatten();
            report
                .record(s, e.version, e.side.name(), e.label.clone(), rec, &e.check)
                .verdict = v.map(Verdict::name);
        }
        let labels = interps.iter().map(|(v, i)| (*v, i.label())).collect();
        print!(
            "{}",
            report.render(checked, &labels, &sel.missing, bad_input)
        );
    } else {
        'scenarios: for (k, s) in scenarios.iter().enumerate().take(checked) {
            let failing: Vec<&Entry> = checks
                .iter()
                .filter(|e| e.scenario == k && !e.check.agrees())
                .collect();
            for report in
                group_failures(ctx, s, &expected[k], &failing, &verdict, &results, interps)
            {
                print!("{report}");
                if args.fail_fast {
                    break 'scenarios;
                }
            }
        }
        if stopped {
            println!(
                "stopped at the first failure (--fail-fast): {} of {} scenarios checked",
                checked,
                scenarios.len()
            );
        }
        // One scenario to record: its own command; several: bless them all.
        let missing_in: BTreeSet<usize> = checks
            .iter()
            .filter(|e| matches!(e.check, Check::Missing(_)))
            .map(|e| e.scenario)
            .collect();
        let record = match missing_in.iter().next() {
            Some(&k) if missing_in.len() == 1 => ctx.bless_command(&scenarios[k]),
            _ => format!("{} bless{}", ctx.program, ctx.expected_option()),
        };
        print_run_summary(interps, checked, &tally, &sel.missing, bad_input, &record);
    }
    Ok(ExitStatus::BadInput.when(bad_input)
        | ExitStatus::Interpreter.when(interpreter_failed)
        | ExitStatus::Disagree.when(tally.failures() > 0))
}

/// How far a live start-up heap may be from the recorded one before `run` says so: the fork
/// server's own buffers at the fork can make an object or two of difference between batches.
const STARTUP_HEAP_NOISE: u64 = 4;

/// One check of `run`.
struct Entry {
    scenario: usize,
    version: Version,
    side: Side,
    /// What ran: `model 3.12`, `CPython 3.12.1`.
    label: String,
    check: Check,
}

impl Entry {
    fn new(
        scenario: usize,
        version: Version,
        side: Side,
        interp: Option<&crate::runner::Interpreter>,
        check: Check,
    ) -> Entry {
        Entry {
            scenario,
            version,
            side,
            label: actual_label(side, version, interp),
            check,
        }
    }
}

/// The failure reports of one scenario, each a `FAIL` block ready to print: a missing or
/// unreadable expected file once; missing blocks once, for all their versions; each error
/// alone; disagreements grouped, one report per identical (expected, actual) pair of traces
/// and verdict, naming every version and side it covers and leading with the verdict.
fn group_failures(
    ctx: &Context,
    s: &crate::scenario::Scenario,
    exp: &Expected,
    failing: &[&Entry],
    verdict: &dyn Fn(&Entry) -> Option<Verdict>,
    results: &Results,
    interps: &BTreeMap<Version, crate::runner::Interpreter>,
) -> Vec<String> {
    let mut out = Vec::new();
    let marker = fail_marker();
    if !matches!(exp.file, Ok(Some(_))) {
        // The file is missing (or unreadable: its error was printed when it was read).
        if let (Ok(None), Some(e)) = (&exp.file, failing.first()) {
            out.push(failure_block(&format!("{marker} {}", s.id), &e.check, ""));
        }
        return out;
    }
    let missing: Vec<Version> = failing
        .iter()
        .filter(|e| matches!(e.check, Check::Missing(_)))
        .map(|e| e.version)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !missing.is_empty() {
        out.push(format!(
            "{marker} {}: {} has no block for {}\n    record {} from real CPython with: {}\n\n",
            s.id,
            exp.path.display(),
            version_list(&missing),
            if missing.len() == 1 { "it" } else { "them" },
            ctx.bless_command(s)
        ));
    }
    // Disagreements with identical traces and verdict form one group, in order of appearance.
    let mut groups: Vec<(Option<Verdict>, String, Vec<&Entry>)> = Vec::new();
    for e in failing {
        match &e.check {
            Check::Missing(_) => {}
            Check::Error(_) => {
                let extra = reproducer(e.scenario, s, e.version, exp, results, interps);
                out.push(failure_block(
                    &format!("{marker} {} {} {}", e.side.name(), e.version, s.id),
                    &e.check,
                    &extra,
                ));
            }
            Check::Agree => {}
            Check::Disagree { .. } => {
                let actual = results
                    .get(e.scenario, e.version, e.side)
                    .and_then(|r| r.as_ref().ok())
                    .map(|t| t.to_text())
                    .unwrap_or_default();
                let block = exp
                    .block(e.version)
                    .map(|t| t.to_text())
                    .unwrap_or_default();
                let key = format!("{block}\0{actual}");
                let v = verdict(e);
                match groups.iter_mut().find(|g| g.0 == v && g.1 == key) {
                    Some(g) => g.2.push(e),
                    None => groups.push((v, key, vec![e])),
                }
            }
        }
    }
    for (v, _, entries) in groups {
        let first = entries[0];
        let versions: Vec<Version> = entries
            .iter()
            .map(|e| e.version)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let sides: BTreeSet<Side> = entries.iter().map(|e| e.side).collect();
        let sides = match (sides.contains(&Side::Model), sides.contains(&Side::Python)) {
            (true, true) => "model and CPython",
            (true, false) => "model",
            _ => "CPython",
        };
        let live: Vec<String> = versions
            .iter()
            .filter_map(|v| interps.get(v).map(|i| i.label()))
            .collect();
        let live = if live.is_empty() {
            "CPython".to_string()
        } else {
            live.join(", ")
        };
        let mut text = String::new();
        if let Some(v) = v {
            let model_trace = results
                .get(first.scenario, first.version, Side::Model)
                .and_then(|r| r.as_ref().ok());
            let traces = exp.block(first.version).zip(model_trace);
            let list = version_list(&versions);
            let path = exp.path.display().to_string();
            let bless = ctx.bless_command(s);
            let first_version = first.version.to_string();
            let run_options = ctx.expected_option();
            let cx = verdict::Context {
                scenario: s,
                versions: &list,
                live: &live,
                recorded: exp.release(first.version).map(String::as_str),
                expected_path: &path,
                bless: &bless,
                program: &ctx.program,
                traces,
                first_version: &first_version,
                run_options: &run_options,
            };
            text.push_str(&verdict::text(v, &cx));
            text.push('\n');
        }
        // A live interpreter that differs from expected/ and is not the release that recorded
        // it: say so (and what the model knows to differ between the two), whatever the
        // verdict, since this group holds its trace.
        for e in entries.iter().filter(|e| e.side == Side::Python) {
            if let Some(i) = interps.get(&e.version)
                && let Some(note) = verdict::release_note(
                    e.version,
                    exp.release(e.version).map(String::as_str),
                    &i.label(),
                )
            {
                text.push_str(&note);
                text.push('\n');
            }
        }
        if entries.len() > 1 {
            let covered: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
            text.push_str(&format!("covers: {}\n", covered.join(", ")));
        }
        let mut extra = String::new();
        for (n, v) in versions.iter().enumerate() {
            let r = reproducer(first.scenario, s, *v, exp, results, interps);
            if n == 0 {
                extra.push_str(&r);
            }
        }
        if versions.len() > 1 {
            let others: Vec<String> = versions[1..]
                .iter()
                .map(|v| format!("{}/{}/{v}.py", crate::runner::repro::DIR, s.id))
                .collect();
            extra.push_str(&format!("    other reproducers: {}\n", others.join(" ")));
        }
        let title = format!(
            "{marker} {} under {} ({sides})",
            s.id,
            version_list(&versions)
        );
        // A stale file's verdict says how to re-record it; a model bug must not be re-recorded.
        let drop_rebless = matches!(v, Some(Verdict::Stale | Verdict::ModelBug));
        out.push(failure_block_with(
            &title,
            &first.check,
            &text,
            &extra,
            drop_rebless,
        ));
    }
    out
}

/// The reproducer of one version (see [`reproducer_lines`]).
fn reproducer(
    k: usize,
    s: &crate::scenario::Scenario,
    v: Version,
    exp: &Expected,
    results: &Results,
    interps: &BTreeMap<Version, crate::runner::Interpreter>,
) -> String {
    reproducer_lines(
        s,
        v,
        interps.get(&v),
        exp.block(v),
        results.get(k, v, Side::Python),
        results.get(k, v, Side::Model),
    )
}
