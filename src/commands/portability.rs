//! `gcconform portability`: for every scenario, whether another Python implementation (PyPy)
//! keeps the promises CPython's trace shows, and which CPython implementation details the
//! scenario relies on, with the statement where each side does it (the work is in
//! [`crate::portability`]; the reading in [`crate::trace::portable`]).

use crate::commands::{ExpectedDir, ScenarioSelect, Timeout};
use crate::portability::{Other, Outcome, Tally, check, describe};
use crate::runner::resolve;
use crate::service::{Context, ExitStatus};
use crate::util::term::parallel_map_progress;
use clap::Args;

/// The arguments of `gcconform portability`.
#[derive(Debug, Args)]
pub struct PortabilityArgs {
    #[command(flatten)]
    pub scenarios: ScenarioSelect,
    /// The implementation to check: a command on PATH (`pypy3`) or an interpreter's path. Its
    /// major.minor picks the expected/ block it is compared with.
    #[arg(long, value_name = "PATH", default_value = "pypy3")]
    pub python: String,
    /// Print only the summary and the scenarios that break a promise or fail.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub expected: ExpectedDir,
    #[command(flatten)]
    pub timeout: Timeout,
}

/// `gcconform portability`.
pub fn exec(ctx: &Context, args: &PortabilityArgs) -> anyhow::Result<ExitStatus> {
    let loaded = args.scenarios.load();
    let mut status = ExitStatus::BadInput.when(loaded.bad_input);
    if loaded.scenarios.is_empty() {
        eprintln!("gcconform: no scenarios to check");
        return Ok(ExitStatus::BadInput);
    }
    let interp = match resolve(&args.python) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("gcconform: --python {}: {e}", args.python);
            return Ok(status | ExitStatus::Interpreter);
        }
    };
    let other = match Other::probe(interp, ctx.timeout) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("gcconform: --python {}: {e}", args.python);
            return Ok(status | ExitStatus::BadInput);
        }
    };
    let (me, cpython) = (other.label(), format!("CPython {}", other.version));
    let outcomes = parallel_map_progress("portability", &loaded.scenarios, |s| {
        check(s, &other, &ctx.expected, ctx.timeout)
    });
    let mut tally = Tally::default();
    for (s, o) in loaded.scenarios.iter().zip(&outcomes) {
        tally.add(s, o);
        let (head, lines, loud) = match o {
            Outcome::NotApplicable(why) => {
                (format!("not applicable: {}", why.join("; ")), vec![], false)
            }
            Outcome::NoExpected(why) => (format!("not compared: {why}"), vec![], false),
            Outcome::Failed(e) => {
                status |= ExitStatus::Interpreter;
                (format!("failed on {me}: {e}"), vec![], true)
            }
            Outcome::Read {
                reading,
                placed,
                collect_none: _,
            } => {
                let mut lines = describe(s, reading, &cpython, &me);
                if s.summary && !reading.portable() {
                    lines.push(
                        "(a summary trace: runs compared in number, CPython's statements not placed)"
                            .to_string(),
                    );
                } else if !placed && !reading.portable() {
                    lines.push(format!(
                        "(the model does not reproduce the {cpython} trace exactly: CPython's statements are not known)"
                    ));
                }
                if !reading.violations.is_empty() {
                    status |= ExitStatus::Disagree;
                    ("breaks a promise".to_string(), lines, true)
                } else if reading.portable() {
                    ("portable".to_string(), lines, false)
                } else {
                    ("relies on CPython details:".to_string(), lines, false)
                }
            }
        };
        if args.quiet && !loud {
            continue;
        }
        println!("{}: {head}", s.id);
        for l in lines {
            println!("    {l}");
        }
    }
    let collect_none = outcomes.iter().any(|o| {
        matches!(
            o,
            Outcome::Read {
                collect_none: true,
                ..
            }
        )
    });
    println!();
    for l in tally.lines(&me, &cpython) {
        println!("{l}");
    }
    if collect_none {
        println!(
            "  (gc.collect() returns None on {me}; what it returns is never compared: a CPython detail)"
        );
    }
    Ok(status)
}
