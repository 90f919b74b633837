//! The harness of the integration tests: libtest-mimic, with what libtest gave them.
//!
//! - Each module lists its tests with [`tests!`]; a trial is named `module::test`. Ignored
//!   tests say why when they are not run (`#[ignore = "why"]`).
//! - A test body runs under `catch_unwind`: a failed `assert!` is a failed trial, with the
//!   panic's message and location.
//! - A test that needs what the machine may lack (an interpreter, Graphviz, util-linux
//!   `script`, Python's `jsonschema`) returns an [`Outcome`]: `Err(Skip)` reports it as
//!   ignored with the reason, instead of passing without having checked anything. A missing
//!   interpreter ([`Skip::no_interpreter`]) is a failure instead when
//!   `GCCONFORM_REQUIRE_INTERPRETERS` is set (not empty, not `0`), as for the `cpython/` trials
//!   of `tests/conformance.rs`.
//! - Trials run on `--test-threads` threads (default: the available parallelism, as libtest),
//!   the ones marked `#[slow]` first.
//! - Output: libtest hid what a passing test printed. Here the process's standard error (test
//!   notes, library notes, panic messages) goes to a temporary file while the trials run, and
//!   is shown after the summary only when a trial failed (or with `--show-output`);
//!   `--nocapture` shows it as it comes.
//!   Standard output is the report (and what a test prints on purpose, as with `--nocapture`).

use gcconform::service::suite::{REQUIRE_VAR, interpreters_required};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;

/// Why a test could not check what it is for: something this machine lacks. The trial is
/// reported as ignored, with the reason; for a missing interpreter, as a failure when
/// `GCCONFORM_REQUIRE_INTERPRETERS` is set (`.ci/run` sets it where the interpreters must be).
#[derive(Debug)]
pub struct Skip {
    reason: String,
    interpreter: bool,
}

impl Skip {
    /// No (suitable) CPython interpreter: ignored, or a failure when interpreters are required.
    pub fn no_interpreter(reason: impl Into<String>) -> Skip {
        Skip {
            reason: reason.into(),
            interpreter: true,
        }
    }

    /// Something else is missing (a tool, a Python module, a setting the test needs): ignored.
    pub fn missing(reason: impl Into<String>) -> Skip {
        Skip {
            reason: reason.into(),
            interpreter: false,
        }
    }

    fn verdict(self) -> Result<Completion, Failed> {
        if self.interpreter && interpreters_required() {
            Err(Failed::from(format!(
                "{}, and {REQUIRE_VAR} is set",
                self.reason
            )))
        } else {
            Ok(Completion::ignored_with(self.reason))
        }
    }
}

/// What a test that may be skipped returns.
pub type Outcome = Result<(), Skip>;

/// A test body returns `()` or an [`Outcome`].
pub trait Body {
    fn finish(self) -> Outcome;
}

impl Body for () {
    fn finish(self) -> Outcome {
        Ok(())
    }
}

impl Body for Outcome {
    fn finish(self) -> Outcome {
        self
    }
}

/// One test of a module, as [`tests!`] lists it.
pub struct Test {
    /// `module_path!()` of the module (`it::runner`).
    pub module: &'static str,
    pub name: &'static str,
    pub body: fn() -> Outcome,
    /// Ignored unless asked for (`--ignored`, `--include-ignored`), and why.
    pub ignored: Option<&'static str>,
    /// Takes seconds: started before the others.
    pub slow: bool,
}

impl Test {
    pub fn new(module: &'static str, name: &'static str, body: fn() -> Outcome) -> Test {
        Test {
            module,
            name,
            body,
            ignored: None,
            slow: false,
        }
    }

    /// Apply an attribute of [`tests!`]: `#[ignore = "why"]` or `#[slow]`.
    pub fn attribute(&mut self, attr: &str, value: Option<&'static str>) {
        match (attr, value) {
            ("ignore", Some(why)) => self.ignored = Some(why),
            ("slow", None) => self.slow = true,
            _ => panic!(
                "{}: unknown test attribute `{attr}` (tests! knows #[ignore = \"why\"] and #[slow])",
                self.trial_name()
            ),
        }
    }

    /// `runner::seed_no_cycle`.
    fn trial_name(&self) -> String {
        let module = self.module.split_once("::").map_or(self.module, |(_, m)| m);
        format!("{module}::{}", self.name)
    }
}

/// `tests! { a, #[slow] b, #[ignore = "why"] c }` at the end of a module defines its
/// `trials()`: its tests in the order listed; `#[slow]` ones (seconds each) start before the
/// others, `#[ignore = "why"]` ones run only when asked for.
macro_rules! tests {
    ($($(#[$attr:ident $(= $value:literal)?])* $name:ident),* $(,)?) => {
        /// This module's tests, in the order listed.
        pub fn trials() -> Vec<$crate::harness::Test> {
            vec![$({
                #[allow(unused_mut)]
                let mut t = $crate::harness::Test::new(
                    module_path!(),
                    stringify!($name),
                    || $crate::harness::Body::finish($name()),
                );
                $(t.attribute(stringify!($attr), None $(.or(Some($value)))?);)*
                t
            }),*]
        }
    };
}
pub(crate) use tests;

thread_local! {
    /// The trial this thread runs, if any.
    static TRIAL: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The last panic of the trial this thread runs: where, and its message.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keep the message and location of a trial's panic for its failure report; print it (to the
/// captured standard error) as the default hook does.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(name) = TRIAL.with(|t| t.borrow().clone()) {
            let msg = info.payload_as_str().unwrap_or("Box<dyn Any>");
            let at = info
                .location()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            PANIC.with(|p| *p.borrow_mut() = Some(format!("panicked{at}:\n{msg}")));
            eprintln!("---- {name} ----");
        }
        default(info);
    }));
}

/// Run one test body on this thread.
fn run(name: String, body: fn() -> Outcome) -> Result<Completion, Failed> {
    TRIAL.with(|t| *t.borrow_mut() = Some(name));
    PANIC.with(|p| p.borrow_mut().take());
    let r = std::panic::catch_unwind(body);
    TRIAL.with(|t| t.borrow_mut().take());
    let panic = PANIC.with(|p| p.borrow_mut().take());
    match r {
        Ok(Ok(())) => Ok(Completion::Completed),
        Ok(Err(skip)) => skip.verdict(),
        Err(payload) => Err(Failed::from(panic.unwrap_or_else(|| {
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("Box<dyn Any>");
            format!("panicked:\n{msg}")
        }))),
    }
}

fn trial(t: Test, args: &Arguments) -> Trial {
    let name = t.trial_name();
    let body = t.body;
    let asked = args.ignored || args.include_ignored;
    match t.ignored {
        // Not asked for: ignored, and the report says why.
        Some(why) if !asked => {
            Trial::ignorable_test(name, move || Ok(Completion::ignored_with(why)))
        }
        Some(_) => {
            Trial::ignorable_test(name.clone(), move || run(name, body)).with_ignored_flag(true)
        }
        None => Trial::ignorable_test(name.clone(), move || run(name, body)),
    }
}

/// The process's standard error, sent to a temporary file while the trials run.
struct StderrCapture {
    saved: OwnedFd,
    path: PathBuf,
}

impl StderrCapture {
    fn start() -> Option<StderrCapture> {
        let path = std::env::temp_dir().join(format!(
            "gcconform-{}-{}-stderr.log",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let file = std::fs::File::create(&path).ok()?;
        let _ = std::io::stderr().flush();
        // SAFETY: dup(2) and dup2(2) on this process's own open descriptors; the duplicate
        // is owned by `saved` from here on.
        unsafe {
            let fd = libc::dup(2);
            if fd < 0 {
                return None;
            }
            let saved = OwnedFd::from_raw_fd(fd);
            if libc::dup2(file.as_raw_fd(), 2) < 0 {
                return None;
            }
            Some(StderrCapture { saved, path })
        }
    }

    /// Restore standard error; show what was captured if `show`.
    fn finish(self, show: bool) {
        let _ = std::io::stderr().flush();
        // SAFETY: as in `start`.
        unsafe {
            libc::dup2(self.saved.as_raw_fd(), 2);
        }
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let _ = std::fs::remove_file(&self.path);
        if show && !text.trim().is_empty() {
            eprintln!("---- standard error of the test process (all trials) ----\n{text}");
        }
    }
}

/// The harness's `main`: the trials of every module, run as libtest's arguments say.
pub fn main(modules: &[fn() -> Vec<Test>]) -> ! {
    let args = Arguments::from_args();
    let tests: Vec<Test> = modules.iter().flat_map(|m| m()).collect();
    let mut names = BTreeSet::new();
    for t in &tests {
        assert!(
            names.insert(t.trial_name()),
            "two tests named {}",
            t.trial_name()
        );
    }
    // The slow trials first (in the order listed), so that no thread is left running a long
    // one at the end while the others are idle.
    // (`--list` keeps the modules' order.)
    let (slow, quick): (Vec<Test>, Vec<Test>) =
        tests.into_iter().partition(|t| t.slow && !args.list);
    let tests: Vec<Test> = slow.into_iter().chain(quick).collect();
    let trials: Vec<Trial> = tests.into_iter().map(|t| trial(t, &args)).collect();
    install_panic_hook();
    let capture = if args.nocapture || args.list {
        None
    } else {
        StderrCapture::start()
    };
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(c) = capture {
        c.finish(conclusion.has_failed() || args.show_output);
    }
    conclusion.exit()
}
