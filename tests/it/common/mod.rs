//! Setup shared by the integration tests (`crate::common`): the checkout's paths and
//! shipped scenarios, scratch directories, running the `gcconform` binary and capturing what it
//! printed, expected files derived from the model, and the interpreters found on this machine.

use crate::harness::Skip;
use gcconform::expected::{ExpectedFile, expected_path_for_id};
use gcconform::runner::{self, Discovery, Interpreter};
use gcconform::scenario::{self, Scenario};
use gcconform::service::suite::interpreters_required;
use gcconform::trace::Trace;
use gcconform::version::{Version, version_list};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scenario: a cycle of two plain objects. Its `gc.collect()` result changes when attributes
/// move inline (3.11), so the versions split into two behaviours.
pub const CYCLE: &str = "\
description: a cycle of two plain objects
classes:
  B: {}
steps:
  - a = B()
  - b = B()
  - a.other = b
  - b.other = a
  - a = None
  - b = None
  - gc.collect()
";

/// The path of the `gcconform` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_gcconform");

/// The root of the checkout.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped scenario `scenarios/{id}.yaml`.
pub fn load(id: &str) -> Scenario {
    scenario::load(&root().join(format!("scenarios/{id}.yaml"))).unwrap_or_else(|e| panic!("{e}"))
}

/// The files of every shipped scenario (under `scenarios/`).
pub fn shipped_scenarios() -> Vec<PathBuf> {
    scenario::discover(&[root().join("scenarios")]).expect("scenarios/ exists")
}

/// `gcconform-it-<pid>-<n>-<name>` in the temporary directory: a path of this test process's
/// own, new at every call (tests of different modules run in one process and may use the same
/// name), ending as `name` does.
pub fn temp_path(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "gcconform-{}-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Run `c` to the end: (exit code, or -1 if a signal ended it; stdout; stderr).
pub fn output(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A scratch directory ([`temp_path`]), empty when made and removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let d = temp_path(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    /// Write `text` to `rel` (creating its directories) and return its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// The empty directory `empty/` (created if need be), for HOME and PATH.
    pub fn empty(&self) -> PathBuf {
        let empty = self.0.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        empty
    }

    /// `gcconform args` in this directory with no interpreter visible: an empty environment
    /// but for HOME and PATH, both an empty directory.
    pub fn command(&self, args: &[&str]) -> Command {
        let empty = self.empty();
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(&self.0)
            .env_clear()
            .env("HOME", &empty)
            .env("PATH", &empty);
        c
    }

    /// Run [`Scratch::command`]: (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        output(&mut self.command(args))
    }

    /// Run [`Scratch::command`] with `env` added to its environment.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let mut c = self.command(args);
        c.envs(env.iter().copied());
        output(&mut c)
    }

    /// Record the model's traces of `scenarios/{id}.yaml`, passed through `edit`, as the
    /// expected file of `id` (only a test may do this); its path.
    pub fn expect_model(&self, id: &str, edit: impl Fn(Version, Trace) -> Trace) -> PathBuf {
        let s = scenario::load(&self.0.join(format!("scenarios/{id}.yaml"))).unwrap();
        let mut f = ExpectedFile::new(format!("scenarios/{id}.yaml"));
        for v in s.applicable_versions() {
            let t = gcconform::model::run(&s, v).unwrap();
            f.set(v, edit(v, t), format!("CPython {}", v.reference_release()));
        }
        let p = expected_path_for_id(&self.0.join("expected"), id);
        f.write_atomic(&p).unwrap();
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The interpreters on this machine, discovered once per test process.
pub fn discovery() -> &'static Discovery {
    static D: OnceLock<Discovery> = OnceLock::new();
    D.get_or_init(runner::discover)
}

/// The CPython interpreters found on this machine, one per modelled version, oldest first;
/// perhaps none.
pub fn found_interpreters() -> Vec<&'static Interpreter> {
    discovery()
        .found
        .iter()
        .filter(|i| i.version.is_some())
        .collect()
}

/// The interpreters found, for a test that needs them: a skip when there is none (a failure
/// when `GCCONFORM_REQUIRE_INTERPRETERS` is set, and then also when some version has none);
/// otherwise a note for the versions missing, and the test runs with the others.
pub fn interpreters() -> Result<Vec<&'static Interpreter>, Skip> {
    let d = discovery();
    let found = found_interpreters();
    if found.is_empty() {
        return Err(Skip::no_interpreter(
            "no CPython interpreter found (set GCCONFORM_PYTHONS or install pyenv versions)",
        ));
    }
    if !d.missing.is_empty() {
        let missing = version_list(&d.missing);
        if interpreters_required() {
            return Err(Skip::no_interpreter(format!(
                "no CPython interpreter for {missing}"
            )));
        }
        eprintln!("note: no CPython interpreter for {missing}; testing the others");
    }
    Ok(found)
}
