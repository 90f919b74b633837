//! Reproducers: for a disagreement (or an interpreter failure), the standalone program and the
//! traces involved under `target/gcconform/<scenario id>/`, so a person can rerun it by hand.
//!
//! For version `V`: `V.py` (the scenario's program, with the exact command that runs it in its
//! header), and as applicable `V.expected.trace` (the `expected/` block), `V.cpython.trace`
//! (the live interpreter's trace; `V.cpython.error` when it produced none) and
//! `V.model.trace` (`V.model.error`). Files of an earlier run for `V` are removed first.

use super::Interpreter;
use super::process::PYTHON_FLAGS;
use super::program::reproducer;
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::util::shell_quote;
use crate::version::Version;
use std::path::{Path, PathBuf};

/// Where reproducers go (relative to the working directory).
pub const DIR: &str = "target/gcconform";

/// One side of a comparison: its trace, or why there is none.
pub type Side<'a> = Option<Result<&'a Trace, &'a str>>;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// `<dir>/<id>/<version>.py`.
    pub program: PathBuf,
    /// The shell command that runs it.
    pub command: String,
    /// The trace (and error) files, in the order expected, cpython, model.
    pub traces: Vec<PathBuf>,
}

impl Written {
    /// Lines for a report: the program, the command, the traces.
    pub fn describe(&self) -> String {
        let traces: Vec<String> = self
            .traces
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let mut s = format!(
            "reproducer: {}\n  run it:   {}\n",
            self.program.display(),
            self.command
        );
        if !traces.is_empty() {
            s.push_str(&format!("  traces:   {}\n", traces.join(" ")));
        }
        s
    }
}

/// The command that runs `file` as gcconform does (`cd /`, every `PYTHON*` variable of this
/// environment removed, `PYTHONHASHSEED=0`, the program on stdin). `python` when no
/// interpreter is known.
pub fn command_line(interp: Option<&Interpreter>, file: &Path) -> String {
    let mut unset: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .filter(|k| k.starts_with("PYTHON"))
        .collect();
    unset.sort();
    let mut cmd = String::from("cd / && env ");
    for k in unset {
        cmd.push_str(&format!("-u {} ", shell_quote(&k)));
    }
    let python = interp.map_or("python".to_string(), |i| {
        shell_quote(&i.path.display().to_string())
    });
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    cmd.push_str(&format!(
        "PYTHONHASHSEED=0 {python} {} - < {}",
        PYTHON_FLAGS.join(" "),
        shell_quote(&file.display().to_string())
    ));
    cmd
}

/// Write the reproducer of `scenario` under `version` into `dir` (see the module docs).
pub fn write(
    dir: &Path,
    scenario: &Scenario,
    version: Version,
    interp: Option<&Interpreter>,
    expected: Option<&Trace>,
    cpython: Side,
    model: Side,
) -> std::io::Result<Written> {
    let here = scenario
        .id
        .split('/')
        .fold(dir.to_path_buf(), |p, part| p.join(part));
    std::fs::create_dir_all(&here)?;
    let v = version.to_string();
    // Leftovers of an earlier run for this version.
    for e in std::fs::read_dir(&here)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.strip_prefix(&v).is_some_and(|r| r.starts_with('.')) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let program = here.join(format!("{v}.py"));
    let command = command_line(interp, &program);
    std::fs::write(&program, reproducer(scenario, &command))?;
    let mut traces = Vec::new();
    let mut put = |name: String, text: String| -> std::io::Result<()> {
        let p = here.join(name);
        std::fs::write(&p, text)?;
        traces.push(p);
        Ok(())
    };
    if let Some(t) = expected {
        put(format!("{v}.expected.trace"), t.to_text())?;
    }
    for (side, r) in [("cpython", cpython), ("model", model)] {
        match r {
            Some(Ok(t)) => put(format!("{v}.{side}.trace"), t.to_text())?,
            Some(Err(e)) => put(format!("{v}.{side}.error"), format!("{e}\n"))?,
            None => {}
        }
    }
    Ok(Written {
        program,
        command,
        traces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_program_and_the_traces() {
        let dir = std::env::temp_dir().join(format!("gcconform-repro-{}", std::process::id()));
        let s = crate::scenario::parse_scenario(
            Path::new("scenarios/t/x.yaml"),
            "steps:\n  - gc.collect()\n",
        )
        .unwrap();
        let a = Trace::parse("gc.collect() -> 0\nend\n").unwrap();
        let b = Trace::parse("gc.collect() -> 2\nend\n").unwrap();
        let i = Interpreter {
            path: "/opt/py 3/bin/python".into(),
            version: Some(Version::V3_12),
            release: "3.12.1".into(),
            implementation: "CPython".into(),
            ..Default::default()
        };
        std::fs::create_dir_all(dir.join("t/x")).unwrap();
        std::fs::write(dir.join("t/x/3.12.cpython.error"), "old").unwrap();
        std::fs::write(dir.join("t/x/3.13.py"), "other version").unwrap();
        let w = write(
            &dir,
            &s,
            Version::V3_12,
            Some(&i),
            Some(&a),
            Some(Ok(&b)),
            Some(Err("boom")),
        )
        .unwrap();
        assert_eq!(w.program, dir.join("t/x/3.12.py"));
        let text = std::fs::read_to_string(&w.program).unwrap();
        assert!(text.contains(&format!("#   {}\n", w.command)), "{text}");
        assert_eq!(
            text.lines().count(),
            crate::runner::translate(&s).lines().count()
        );
        assert!(w.command.starts_with("cd / && env "), "{}", w.command);
        assert!(
            w.command
                .contains("PYTHONHASHSEED=0 '/opt/py 3/bin/python' -s -S - < /"),
            "{}",
            w.command
        );
        let names: Vec<String> = w
            .traces
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "3.12.expected.trace",
                "3.12.cpython.trace",
                "3.12.model.error"
            ]
        );
        assert_eq!(std::fs::read_to_string(&w.traces[1]).unwrap(), b.to_text());
        assert!(!dir.join("t/x/3.12.cpython.error").exists());
        assert!(dir.join("t/x/3.13.py").exists());
        assert!(
            w.describe()
                .starts_with(&format!("reproducer: {}\n", w.program.display()))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
