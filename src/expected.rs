//! The `expected/` files: for each scenario, the trace real CPython produced under every
//! version, recorded by `gcconform bless` and never written from the model.
//!
//! One file per scenario, `expected/<scenario id>.trace`. Versions with identical traces share
//! one block, so version splits are visible at a glance:
//!
//! ```text
//! # gcconform expected traces for scenarios/seed/cycle_with_del.yaml
//! # Recorded from real CPython by `gcconform bless`; do not edit by hand.
//! # 2.7: CPython 2.7.18
//! # 3.6: CPython 3.6.15
//!
//! === 2.7
//! gc.collect(2) -> 4
//! gc.garbage: [with_del]
//! alive: [b, with_del]
//! end
//! gc.garbage: [with_del]
//! alive: [b, with_del]
//!
//! === 3.6 3.7 3.8 3.9 3.10
//! __del__ with_del
//! gc.collect(2) -> 4
//! ...
//! ```
//!
//! Lines before the first `===` header are comments (`#`) or blank; a comment of the form
//! `# VERSION: RELEASE` records the exact release blessed for that version, and
//! `# VERSION start-up heap: N` the start-up heap measured in that run (only for scenarios
//! that can enable automatic collection; see [`Trace::startup_heap`]). A block is a
//! `=== V1 V2 ...` header followed by that trace's events, one per line. Blank lines and `#`
//! comments inside blocks are ignored.

use crate::scenario::Scenario;
use crate::trace::group::version_groups;
use crate::trace::{Event, Trace};
use crate::version::Version;
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// What separates a version from its start-up heap in a header line: `# 3.12 start-up heap: 5350`.
const STARTUP_LABEL: &str = " start-up heap: ";

/// The second line of every expected file.
pub const NOTICE: &str = "Recorded from real CPython by `gcconform bless`; do not edit by hand.";

/// The parsed contents of one `expected/<id>.trace` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedFile {
    /// The scenario file the traces belong to, as shown in the header
    /// (`scenarios/seed/cycle_with_del.yaml`).
    pub source: String,
    /// The recorded trace of each version.
    pub blocks: BTreeMap<Version, Trace>,
    /// The exact interpreter each version was recorded from, e.g. `CPython 3.12.1`.
    pub releases: BTreeMap<Version, String>,
    /// Traces of CPython builds no profile models (`=== unmodelled CPython 3.14.0`), by the
    /// build's label: recorded beside the modelled blocks, never one of them.
    pub unmodelled: BTreeMap<String, Trace>,
}

/// The word that opens the header of an unmodelled build's block: `=== unmodelled LABEL`.
pub const UNMODELLED: &str = "unmodelled";

/// Why an expected file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ExpectedError {
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}:{line}: error: {message}", path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl ExpectedFile {
    /// An empty file for the scenario shown as `source`.
    pub fn new(source: impl Into<String>) -> Self {
        ExpectedFile {
            source: source.into(),
            ..Default::default()
        }
    }

    /// Versions grouped by identical trace, each group ascending, groups ordered by their
    /// oldest version.
    pub fn groups(&self) -> Vec<(Vec<Version>, &Trace)> {
        version_groups(&self.blocks)
    }

    /// Record a version's trace and the interpreter it came from.
    pub fn set(&mut self, version: Version, trace: Trace, release: impl Into<String>) {
        self.blocks.insert(version, trace);
        self.releases.insert(version, release.into());
    }

    /// Drop a version's block and release.
    pub fn remove(&mut self, version: Version) {
        self.blocks.remove(&version);
        self.releases.remove(&version);
    }

    /// The canonical text of the file.
    pub fn render(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "# gcconform expected traces for {}\n# {NOTICE}\n",
            self.source
        ));
        for (v, r) in &self.releases {
            s.push_str(&format!("# {v}: {r}\n"));
        }
        for (v, t) in &self.blocks {
            if let Some(n) = t.startup_heap {
                s.push_str(&format!("# {v}{STARTUP_LABEL}{n}\n"));
            }
        }
        for (versions, trace) in self.groups() {
            s.push('\n');
            s.push_str("===");
            for v in versions {
                s.push_str(&format!(" {v}"));
            }
            s.push('\n');
            s.push_str(&trace.to_text());
        }
        for (label, trace) in &self.unmodelled {
            s.push_str(&format!("\n=== {UNMODELLED} {label}\n"));
            s.push_str(&trace.to_text());
        }
        s
    }

    /// Parse the text of an expected file; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<ExpectedFile, ExpectedError> {
        let err = |line: usize, message: String| ExpectedError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut file = ExpectedFile::default();
        // Where each version's block header or release line stands, for duplicate errors.
        let mut block_line: BTreeMap<Version, usize> = BTreeMap::new();
        let mut release_line: BTreeMap<Version, usize> = BTreeMap::new();
        // The versions of the block being read (or the unmodelled build's label) and its
        // events so far.
        let mut current: Option<(Vec<Version>, Option<String>, Vec<Event>)> = None;
        let mut last_line = 0;

        // The start-up heap of each version (header lines before the blocks).
        let mut startup: BTreeMap<Version, u64> = BTreeMap::new();
        let finish =
            |file: &mut ExpectedFile,
             startup: &BTreeMap<Version, u64>,
             current: Option<(Vec<Version>, Option<String>, Vec<Event>)>| {
                if let Some((_, Some(label), events)) = current {
                    file.unmodelled.insert(
                        label,
                        Trace {
                            events,
                            startup_heap: None,
                        },
                    );
                } else if let Some((versions, None, events)) = current {
                    for v in versions {
                        file.blocks.insert(
                            v,
                            Trace {
                                events: events.clone(),
                                startup_heap: startup.get(&v).copied(),
                            },
                        );
                    }
                }
            };

        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            last_line = n;
            let line = raw.trim_end();
            if let Some(rest) = line.strip_prefix("===") {
                if !rest.is_empty() && !rest.starts_with(' ') {
                    return Err(err(
                        n,
                        format!("malformed block header `{line}` (expected `=== VERSION ...`)"),
                    ));
                }
                finish(&mut file, &startup, current.take());
                if let Some(label) = rest.trim().strip_prefix(UNMODELLED) {
                    let label = label.trim();
                    if label.is_empty() || file.unmodelled.contains_key(label) {
                        return Err(err(
                            n,
                            format!(
                                "`{line}`: an unmodelled build's block needs a label of its own (`=== {UNMODELLED} CPython 3.14.0`)"
                            ),
                        ));
                    }
                    current = Some((Vec::new(), Some(label.to_string()), Vec::new()));
                    continue;
                }
                let mut versions = Vec::new();
                for word in rest.split_whitespace() {
                    let v: Version = word.parse().map_err(|e| err(n, format!("{e}")))?;
                    if let Some(prev) = block_line.get(&v) {
                        return Err(err(
                            n,
                            format!("version {v} already has a block (line {prev})"),
                        ));
                    }
                    block_line.insert(v, n);
                    versions.push(v);
                }
                if versions.is_empty() {
                    return Err(err(
                        n,
                        "block header names no version (expected `=== VERSION ...`)".into(),
                    ));
                }
                current = Some((versions, None, Vec::new()));
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            if let Some(comment) = line.strip_prefix('#') {
                if current.is_none() {
                    let comment = comment.trim();
                    if let Some(src) = comment.strip_prefix("gcconform expected traces for ") {
                        file.source = src.trim().to_string();
                    } else if let Some((v, count)) = comment.split_once(STARTUP_LABEL)
                        && let Ok(v) = v.parse::<Version>()
                    {
                        let count: u64 = count.trim().parse().map_err(|_| {
                            err(n, format!("`{}` is not a number of objects", count.trim()))
                        })?;
                        startup.insert(v, count);
                    } else if let Some((v, release)) = comment.split_once(": ")
                        && let Ok(v) = v.parse::<Version>()
                    {
                        if let Some(prev) = release_line.get(&v) {
                            return Err(err(
                                n,
                                format!("release of {v} given twice (first at line {prev})"),
                            ));
                        }
                        release_line.insert(v, n);
                        file.releases.insert(v, release.trim().to_string());
                    }
                }
                continue;
            }
            match &mut current {
                None => {
                    return Err(err(
                        n,
                        format!(
                            "`{line}` stands before the first block header \
                             (expected `=== VERSION ...` or a `#` comment)"
                        ),
                    ));
                }
                Some((_, _, events)) => {
                    let event: Event = line.parse().map_err(|e| err(n, format!("{e}")))?;
                    events.push(event);
                }
            }
        }
        finish(&mut file, &startup, current);
        if file.blocks.is_empty() && file.unmodelled.is_empty() {
            return Err(err(
                last_line.max(1),
                "no `=== VERSION` block: the file records no trace (re-bless it)".into(),
            ));
        }
        Ok(file)
    }

    /// Write the file so that an interrupted or failed write never loses the old contents:
    /// the text goes to a temporary file in the same directory, which is then renamed over
    /// `path`. Missing parent directories are created.
    pub fn write_atomic(&self, path: &Path) -> io::Result<()> {
        crate::util::fs::write_atomic(path, self.render().as_bytes())
    }
}

/// Read an expected file: `Ok(None)` when it does not exist.
pub fn read(path: &Path) -> Result<Option<ExpectedFile>, ExpectedError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ExpectedError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let text = String::from_utf8(text).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        ExpectedError::Malformed {
            path: path.to_path_buf(),
            line: good.iter().filter(|b| **b == b'\n').count() + 1,
            message: "the file is not valid UTF-8".into(),
        }
    })?;
    ExpectedFile::parse(&text, path).map(Some)
}

/// `root/<id>.trace` for a scenario id like `seed/cycle_with_del`.
pub fn expected_path_for_id(root: &Path, id: &str) -> PathBuf {
    let mut p = root.to_path_buf();
    let mut parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let last = parts.pop().unwrap_or("scenario");
    for part in parts {
        p.push(part);
    }
    p.push(format!("{last}.trace"));
    p
}

/// Where a scenario's expected traces live: `root/<scenario id>.trace`.
pub fn expected_path(root: &Path, scenario: &Scenario) -> PathBuf {
    expected_path_for_id(root, &scenario.id)
}

/// How a scenario's file is named in an expected file's header: the path from its last
/// `scenarios/` folder on (`scenarios/seed/cycle_with_del.yaml`), with `/` separators.
pub fn source_name(scenario_path: &Path) -> String {
    let comps: Vec<String> = scenario_path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match comps.iter().rposition(|c| c == "scenarios") {
        Some(i) if i + 1 < comps.len() => comps[i..].join("/"),
        _ => comps.last().cloned().unwrap_or_default(),
    }
}

impl fmt::Display for ExpectedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Event;

    fn trace(lines: &str) -> Trace {
        Trace::parse(lines).unwrap()
    }

    fn sample() -> ExpectedFile {
        let mut f = ExpectedFile::new("scenarios/seed/cycle_with_del.yaml");
        let old = trace(
            "gc.collect(2) -> 4\ngc.garbage: [with_del]\nalive: [b, with_del]\nend\n\
             gc.garbage: [with_del]\nalive: [b, with_del]\n",
        );
        let pep442 = trace(
            "__del__ with_del\ngc.collect(2) -> 4\ngc.garbage: []\nalive: []\nend\ngc.garbage: []\nalive: []\n",
        );
        let inline = trace(
            "__del__ with_del\ngc.collect(2) -> 2\ngc.garbage: []\nalive: []\nend\ngc.garbage: []\nalive: []\n",
        );
        for v in Version::ALL {
            let t = match v {
                Version::V2_7 => old.clone(),
                Version::V3_11 | Version::V3_12 | Version::V3_13 => inline.clone(),
                _ => pep442.clone(),
            };
            f.set(v, t, format!("CPython {}", v.reference_release()));
        }
        f
    }

    /// An unmodelled build's block reads back as its own, beside the modelled ones, and a
    /// file may hold only such blocks.
    #[test]
    fn unmodelled_blocks_round_trip_apart_from_the_modelled_ones() {
        let t = |s: &str| Trace::parse(s).unwrap();
        let mut f = ExpectedFile::new("scenarios/x.yaml");
        f.set(
            Version::V3_13,
            t("gc.collect() -> 2\nend\n"),
            "CPython 3.13.0",
        );
        f.unmodelled
            .insert("CPython 3.14.0".into(), t("gc.collect() -> 3\nend\n"));
        let text = f.render();
        assert!(
            text.ends_with("\n=== unmodelled CPython 3.14.0\ngc.collect() -> 3\nend\n"),
            "{text}"
        );
        let back = ExpectedFile::parse(&text, Path::new("x.trace")).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.blocks.len(), 1, "not a modelled block");
        let only = "=== unmodelled CPython 3.14.0\nend\n";
        assert_eq!(
            ExpectedFile::parse(only, Path::new("x.trace"))
                .unwrap()
                .unmodelled
                .len(),
            1
        );
        for bad in [
            "=== unmodelled\nend\n",
            "=== unmodelled A\nend\n=== unmodelled A\nend\n",
        ] {
            assert!(
                ExpectedFile::parse(bad, Path::new("x.trace")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn render_groups_identical_versions_and_round_trips() {
        let f = sample();
        let text = f.render();
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("===")).collect();
        assert_eq!(
            headers,
            vec!["=== 2.7", "=== 3.6 3.7 3.8 3.9 3.10", "=== 3.11 3.12 3.13"]
        );
        assert!(text.starts_with(
            "# gcconform expected traces for scenarios/seed/cycle_with_del.yaml\n\
             # Recorded from real CPython by `gcconform bless`; do not edit by hand.\n\
             # 2.7: CPython 2.7.18\n# 3.6: CPython 3.6.15\n"
        ));
        let back = ExpectedFile::parse(&text, Path::new("x.trace")).unwrap();
        assert_eq!(back, f);
        assert_eq!(back.render(), text);
    }

    #[test]
    fn non_contiguous_versions_share_a_block() {
        let mut f = ExpectedFile::new("s.yaml");
        let a = trace("gc.collect() -> 0\n");
        let b = trace("gc.collect() -> 1\n");
        f.set(Version::V2_7, a.clone(), "CPython 2.7.18");
        f.set(Version::V3_6, b.clone(), "CPython 3.6.15");
        f.set(Version::V3_13, a.clone(), "CPython 3.13.0");
        let text = f.render();
        let headers: Vec<&str> = text.lines().filter(|l| l.starts_with("===")).collect();
        assert_eq!(headers, vec!["=== 2.7 3.13", "=== 3.6"]);
        let back = ExpectedFile::parse(&text, Path::new("x")).unwrap();
        assert_eq!(back.blocks[&Version::V3_13], a);
        assert_eq!(back.blocks[&Version::V3_6], b);
    }

    #[test]
    fn empty_traces_round_trip() {
        let mut f = ExpectedFile::new("s.yaml");
        f.set(Version::V3_12, Trace::default(), "CPython 3.12.1");
        f.set(
            Version::V3_13,
            Trace {
                events: vec![Event::End],
                startup_heap: Some(5536),
            },
            "CPython 3.13.0",
        );
        let text = f.render();
        assert!(text.contains("\n# 3.13 start-up heap: 5536\n"), "{text}");
        let back = ExpectedFile::parse(&text, Path::new("x")).unwrap();
        assert_eq!(back, f);
        // Trace equality leaves the start-up heap out; the file keeps it.
        assert_eq!(back.blocks[&Version::V3_13].startup_heap, Some(5536));
        assert_eq!(back.blocks[&Version::V3_12].startup_heap, None);
    }

    #[test]
    fn tolerates_crlf_blank_lines_and_comments() {
        let text = "# gcconform expected traces for s.yaml\r\n\r\n=== 3.12\r\n# note\r\ngc.collect() -> 0\r\n\r\nend\r\n";
        let f = ExpectedFile::parse(text, Path::new("x")).unwrap();
        assert_eq!(f.source, "s.yaml");
        assert_eq!(
            f.blocks[&Version::V3_12].to_text(),
            "gc.collect() -> 0\nend\n"
        );
    }

    fn malformed(text: &str) -> (usize, String) {
        match ExpectedFile::parse(text, Path::new("expected/seed/x.trace")) {
            Err(ExpectedError::Malformed { line, message, .. }) => (line, message),
            other => panic!("expected a malformed-file error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_files_report_line_numbers() {
        let (line, msg) = malformed("# c\n=== 3.12\ngc.collect() -> 0\nbogus line\n");
        assert_eq!(line, 4);
        assert!(msg.contains("not a trace event: `bogus line`"), "{msg}");

        let (line, msg) = malformed("# c\ngc.collect() -> 0\n");
        assert_eq!(line, 2);
        assert!(msg.contains("before the first block header"), "{msg}");

        let (line, msg) = malformed("=== 3.12\nend\n=== 3.5\nend\n");
        assert_eq!(line, 3);
        assert!(msg.contains("unknown CPython version `3.5`"), "{msg}");

        let (line, msg) = malformed("=== 3.12 3.13\nend\n\n=== 3.13\nend\n");
        assert_eq!(line, 4);
        assert!(msg.contains("3.13 already has a block (line 1)"), "{msg}");

        let (line, msg) = malformed("=== \nend\n");
        assert_eq!(line, 1);
        assert!(msg.contains("names no version"), "{msg}");

        let (line, msg) = malformed("===3.12\nend\n");
        assert_eq!(line, 1);
        assert!(msg.contains("malformed block header"), "{msg}");

        let (line, msg) = malformed("# a\n# b\n");
        assert_eq!(line, 2);
        assert!(msg.contains("no `=== VERSION` block"), "{msg}");

        let (line, msg) = malformed("# 3.12: CPython 3.12.1\n# 3.12: CPython 3.12.2\n=== 3.12\n");
        assert_eq!(line, 2);
        assert!(msg.contains("given twice"), "{msg}");

        let e = ExpectedFile::parse("=== 3.12\nnope\n", Path::new("expected/seed/x.trace"))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "expected/seed/x.trace:2: error: not a trace event: `nope`"
        );
    }

    fn scratch(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("gcconform-expected-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn read_missing_is_none_and_write_read_round_trips() {
        let d = scratch("rw");
        let p = d.join("seed").join("x.trace");
        assert!(read(&p).unwrap().is_none());
        let f = sample();
        f.write_atomic(&p).unwrap();
        assert_eq!(read(&p).unwrap().unwrap(), f);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(d.join("seed"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x.trace")]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn failed_atomic_write_keeps_the_old_file() {
        let d = scratch("atomic");
        let p = d.join("x.trace");
        std::fs::write(&p, "old contents\n").unwrap();
        // Make the temporary file impossible to create: a directory stands in its place.
        std::fs::create_dir_all(crate::util::fs::temp_path(&p)).unwrap();
        assert!(sample().write_atomic(&p).is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old contents\n");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn failed_atomic_write_in_read_only_dir_keeps_the_old_file() {
        use std::os::unix::fs::PermissionsExt;
        let d = scratch("readonly");
        let p = d.join("x.trace");
        std::fs::write(&p, "old contents\n").unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o555)).unwrap();
        let r = sample().write_atomic(&p);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        // root may write anyway; what matters is that the file is never half-written.
        let now = std::fs::read_to_string(&p).unwrap();
        if r.is_err() {
            assert_eq!(now, "old contents\n");
        } else {
            assert_eq!(now, sample().render());
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn paths_and_source_names() {
        assert_eq!(
            expected_path_for_id(Path::new("expected"), "seed/cycle_with_del"),
            PathBuf::from("expected/seed/cycle_with_del.trace")
        );
        assert_eq!(
            source_name(Path::new("/home/u/gcconform/scenarios/seed/x.yaml")),
            "scenarios/seed/x.yaml"
        );
        assert_eq!(source_name(Path::new("/tmp/x.yaml")), "x.yaml");
    }
}
