//! Interpreter faults, with fake interpreters: shell scripts that answer gcconform's version
//! probe as "CPython 3.12.1" (discovery probes every candidate first) and then misbehave: hang,
//! segfault (`kill -SEGV $$`), print nonsense, or are missing altogether. Each fake misbehaves
//! when it is started as a fork server (so the pool falls back to one fresh process per
//! scenario) and when it runs scenario `t/bad`; for any other scenario it prints a valid trace
//! (the model's trace of a scenario that does nothing), so the tests show both the reported
//! reason and that the other scenarios' results survive. No real interpreter is needed.
//! (Faults of children of a real fork server are in `tests/it/runner.rs`: `fork_server_faults`.)

use crate::common::Scratch;
use gcconform::runner::{self, Interpreter, Pool, RunError};
use gcconform::scenario::{self, Scenario};
use gcconform::trace::Trace;
use gcconform::version::Version;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What a fake does at server start and for scenario `t/bad`.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Hang,
    Segfault,
    Nonsense,
    /// Behaves, but prints a different trace for `t/bad`.
    Differs,
}

const TRACE: &str = "end\ngc.garbage: []\nalive: []\n";

impl Scratch {
    /// Write the fake interpreter `name` and return its path.
    fn fake(&self, name: &str, fault: Fault) -> PathBuf {
        let act = match fault {
            Fault::Hang => "exec /bin/sleep 60",
            Fault::Segfault => "kill -SEGV $$",
            Fault::Nonsense => "echo 'Hello from a broken interpreter'; exit 0",
            Fault::Differs => {
                "printf '#gcconform-trace-begin\\nend\\ngc.garbage: []\\nalive: [x]\\n#gcconform-trace-end\\n'; exit 0"
            }
        };
        let server = match fault {
            Fault::Differs => "echo 'Unknown option: -c' >&2; exit 2",
            _ => act,
        };
        let script = format!(
            "#!/bin/sh\n\
             # A fake CPython 3.12 for gcconform's fault tests ({fault:?}).\n\
             if [ \"$3\" = \"-c\" ]; then\n  {server}\nfi\n\
             prog=$(/bin/cat)\n\
             case \"$prog\" in\n\
             \x20 *python_implementation*) echo \"3 12 3.12.1 CPython $0\"; exit 0 ;;\n\
             \x20 *\"scenario t/bad\"*) {act} ;;\n\
             esac\n\
             printf '#gcconform-trace-begin\\nend\\ngc.garbage: []\\nalive: []\\n#gcconform-trace-end\\n'\n"
        );
        let p = self.write(&format!("bin/{name}"), &script);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// `scenarios/t/{ok,bad,ok2}.yaml` (3.12 only; their model trace is [`TRACE`]) and their
    /// expected files.
    fn corpus(&self) -> Vec<Scenario> {
        let mut v = Vec::new();
        for id in ["ok", "bad", "ok2"] {
            let p = self.write(
                &format!("scenarios/t/{id}.yaml"),
                "versions: [\"3.12\"]\nsteps:\n  - pass\n",
            );
            self.write(
                &format!("expected/t/{id}.trace"),
                &format!(
                    "# gcconform expected traces for scenarios/t/{id}.yaml\n# 3.12: CPython 3.12.1\n\n=== 3.12\n{TRACE}"
                ),
            );
            v.push(scenario::load(&p).unwrap());
        }
        v
    }

    /// Run the gcconform binary here, with no interpreter but `pythons` visible.
    fn gcconform(&self, args: &[&str], pythons: &str) -> (i32, String, String) {
        self.run_env(args, &[("GCCONFORM_PYTHONS", pythons)])
    }
}

const TIMEOUT: Duration = Duration::from_millis(1500);

/// Probe the fake as discovery would, then run the three scenarios in one batch.
fn batch(s: &Scratch, fake: &Path) -> (Interpreter, Vec<Result<Trace, RunError>>, Pool) {
    let interp = runner::probe(fake).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(interp.version, Some(Version::V3_12));
    assert_eq!(interp.implementation, "CPython");
    let corpus = s.corpus();
    let refs: Vec<&Scenario> = corpus.iter().collect();
    let mut pool = Pool::new(&interp);
    let results = pool.run_scenarios(&refs, TIMEOUT);
    (interp, results, pool)
}

fn assert_survivors(results: &[Result<Trace, RunError>]) {
    let good = Trace::parse(TRACE).unwrap();
    assert_eq!(results[0].as_ref().ok(), Some(&good), "{:?}", results[0]);
    assert_eq!(results[2].as_ref().ok(), Some(&good), "{:?}", results[2]);
}

fn a_hanging_interpreter_times_out_and_the_others_survive() {
    let s = Scratch::new("hang");
    let fake = s.fake("python3.12", Fault::Hang);
    let start = Instant::now();
    let (_, results, pool) = batch(&s, &fake);
    assert_survivors(&results);
    assert_eq!(results[1], Err(RunError::Timeout(TIMEOUT)));
    let why = pool.fresh_reason().unwrap();
    assert!(
        why.contains("did not start") && why.contains("stopped answering"),
        "{why}"
    );
    // The server start and the hanging scenario each cost one timeout, nothing more.
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

fn a_segfaulting_interpreter_is_reported_and_the_others_survive() {
    let s = Scratch::new("segv");
    let fake = s.fake("python3.12", Fault::Segfault);
    let (_, results, pool) = batch(&s, &fake);
    assert_survivors(&results);
    assert!(
        matches!(&results[1], Err(RunError::Crashed { status, .. }) if status == "killed by signal 11 (SIGSEGV)"),
        "{:?}",
        results[1]
    );
    let why = pool.fresh_reason().unwrap();
    assert!(why.contains("SIGSEGV"), "{why}");
}

fn an_interpreter_printing_nonsense_is_reported_and_the_others_survive() {
    let s = Scratch::new("nonsense");
    let fake = s.fake("python3.12", Fault::Nonsense);
    let (_, results, pool) = batch(&s, &fake);
    assert_survivors(&results);
    assert!(
        matches!(&results[1], Err(RunError::BadOutput(m)) if m.contains("Hello from a broken interpreter")),
        "{:?}",
        results[1]
    );
    let why = pool.fresh_reason().unwrap();
    assert!(why.contains("Hello from a broken interpreter"), "{why}");
}

fn a_missing_interpreter_is_reported_for_every_scenario() {
    let s = Scratch::new("missing");
    let corpus = s.corpus();
    let refs: Vec<&Scenario> = corpus.iter().collect();
    let gone = Interpreter {
        path: s.0.join("bin/python3.12"),
        version: Some(Version::V3_12),
        release: "3.12.1".into(),
        implementation: "CPython".into(),
        ..Default::default()
    };
    let results = Pool::new(&gone).run_scenarios(&refs, TIMEOUT);
    for r in &results {
        assert!(
            matches!(r, Err(RunError::Spawn { path, reason }) if path.ends_with("bin/python3.12") && reason.contains("No such file")),
            "{r:?}"
        );
    }
    // Discovery reports a missing interpreter listed in GCCONFORM_PYTHONS.
    let e = runner::probe(&gone.path).unwrap_err();
    assert!(e.contains("python3.12"), "{e}");
}

// ---- the command line: exit codes and reports ------------------------------------------------

fn run_exit_codes_say_which_fault_happened() {
    for (fault, reason) in [
        (Fault::Hang, "timed out after 1s"),
        (Fault::Segfault, "killed by signal 11 (SIGSEGV)"),
        (Fault::Nonsense, "printed no valid trace"),
    ] {
        let s = Scratch::new(&format!("cli-{fault:?}"));
        s.corpus();
        let fake = s.fake("python3.12", fault);
        for cmd in ["run", "diff"] {
            let (code, out, err) =
                s.gcconform(&[cmd, "--timeout", "1"], &fake.display().to_string());
            assert_eq!(code, 3, "{fault:?} {cmd}\n{out}\n{err}");
            // The failure, with its reason and a reproducer, for t/bad only.
            assert!(
                out.contains("t/bad") && out.contains(reason),
                "{fault:?} {cmd}\n{out}"
            );
            assert!(
                !out.lines()
                    .any(|l| l.starts_with("FAIL") && l.contains("t/ok")),
                "{fault:?} {cmd}\n{out}"
            );
            assert!(
                out.contains("reproducer: target/gcconform/t/bad/3.12.py"),
                "{out}"
            );
            assert!(
                s.0.join("target/gcconform/t/bad/3.12.cpython.error")
                    .is_file()
            );
            // The other scenarios were checked and agree.
            let summary = out.lines().last().unwrap();
            let agree = if cmd == "run" { "5 agree" } else { "2 agree" };
            assert!(summary.contains(agree), "{fault:?} {cmd}: {summary}");
            // The interpreter is named in the report.
            assert!(
                out.contains("interpreters used:\n  3.12  CPython 3.12.1 ("),
                "{out}"
            );
            assert!(err.contains("not fork-isolated"), "{fault:?} {cmd}\n{err}");
        }
    }
}

fn run_exit_code_1_for_a_disagreement_writes_a_reproducer() {
    let s = Scratch::new("cli-differs");
    s.corpus();
    let fake = s.fake("python3.12", Fault::Differs);
    let (code, out, err) = s.gcconform(&["run"], &fake.display().to_string());
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(out.contains("FAIL t/bad under 3.12 (CPython): "), "{out}");
    // The model agrees with expected/ and this interpreter does not: the report says so.
    assert!(
        out.contains(
            "    verdict: this interpreter behaves differently from the one that recorded expected/"
        ),
        "{out}"
    );
    let dir = s.0.join("target/gcconform/t/bad");
    for f in [
        "3.12.py",
        "3.12.expected.trace",
        "3.12.cpython.trace",
        "3.12.model.trace",
    ] {
        assert!(dir.join(f).is_file(), "{f}\n{out}");
        assert!(
            out.contains(&format!("target/gcconform/t/bad/{f}")),
            "{f}\n{out}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("3.12.cpython.trace")).unwrap(),
        "end\ngc.garbage: []\nalive: [x]\n"
    );
    // The program's header has the command that reruns it; running it reproduces the trace.
    let program = std::fs::read_to_string(dir.join("3.12.py")).unwrap();
    let line = program
        .lines()
        .find(|l| l.starts_with("#   cd / && env "))
        .unwrap_or_else(|| panic!("{program}"));
    assert!(line.contains(&fake.display().to_string()), "{line}");
    let rerun = Command::new("/bin/sh")
        .args(["-c", line.trim_start_matches("#   ")])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&rerun.stdout).contains("alive: [x]"),
        "{rerun:?}"
    );
    // No server was used for this fake (it refuses `-c`), and the report says so.
    assert!(err.contains("not fork-isolated"), "{err}");
}

fn missing_interpreters_asked_for_are_failures() {
    let s = Scratch::new("cli-missing");
    s.corpus();
    let gone = s.0.join("bin/python3.12");
    // Listed in GCCONFORM_PYTHONS but missing: exit 3; the model is still checked.
    let (code, out, err) = s.gcconform(&["run"], &gone.display().to_string());
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        err.contains("bin/python3.12") && err.contains("GCCONFORM_PYTHONS"),
        "{err}"
    );
    assert!(out.contains("3 scenarios, 3 checks: 3 agree"), "{out}");
    // Asked for with --python: a version with no interpreter, or a missing path.
    let (code, _, err) = s.gcconform(&["run", "--python", "3.12"], "");
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("no CPython 3.12 interpreter found"), "{err}");
    let (code, _, err) = s.gcconform(&["diff", "--python", &gone.display().to_string()], "");
    assert_eq!(code, 3, "{err}");
    // Not a version at all: bad input.
    let (code, _, err) = s.gcconform(&["run", "--python", "3.14"], "");
    assert_eq!(code, 2, "{err}");
    // Without any interpreter nothing failed: the model agrees.
    let (code, out, _) = s.gcconform(&["run"], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("interpreters used: none"), "{out}");
}

fn a_working_fake_selected_with_python_is_used() {
    let s = Scratch::new("cli-select");
    s.corpus();
    let fake = s.fake("python3.12", Fault::Differs);
    let (code, out, err) = s.gcconform(&["run", "--python", &fake.display().to_string()], "");
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains(&format!("3.12  CPython 3.12.1 ({})", fake.display())),
        "{out}"
    );
}

/// Ctrl-C (SIGINT) on `gcconform run` ends the run and kills its interpreter children: the
/// hanging fake (a `sleep` it execs) is gone right after gcconform exits.
fn interrupting_a_run_kills_its_interpreters() {
    let s = Scratch::new("interrupt");
    s.corpus();
    let fake = s.fake("python3.12", Fault::Hang);
    // A marker in the sleeping child's command line, to find it with pgrep.
    let marker = format!("gcconform-interrupt-{}", std::process::id());
    let script = std::fs::read_to_string(&fake).unwrap().replace(
        "exec /bin/sleep 60",
        &format!("exec /bin/sh -c '/bin/sleep 60; echo {marker}'"),
    );
    std::fs::write(&fake, script).unwrap();
    let mut child = s
        .command(&["run", "--timeout", "60"])
        .env("GCCONFORM_PYTHONS", &fake)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let alive = |m: &str| {
        Command::new("pgrep")
            .args(["-f", m])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    let start = Instant::now();
    while !alive(&marker) && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(alive(&marker), "the fake interpreter never started");
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "gcconform should end on SIGINT");
    let start = Instant::now();
    while alive(&marker) && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(&marker),
        "an interpreter child survived the interrupted run"
    );
}

crate::harness::tests! {
    #[slow]
    a_hanging_interpreter_times_out_and_the_others_survive,
    a_segfaulting_interpreter_is_reported_and_the_others_survive,
    an_interpreter_printing_nonsense_is_reported_and_the_others_survive,
    a_missing_interpreter_is_reported_for_every_scenario,
    #[slow]
    run_exit_codes_say_which_fault_happened,
    run_exit_code_1_for_a_disagreement_writes_a_reproducer,
    missing_interpreters_asked_for_are_failures,
    a_working_fake_selected_with_python_is_used,
    interrupting_a_run_kills_its_interpreters,
}
