//! The expected-failure list, `tests/xfail.txt`: trials known to disagree, one per line,
//!
//! ```text
//! model/3.12/seed/cycle_with_del  # the model does not inline attributes yet
//! ```
//!
//! A listed trial passes while it disagrees and FAILS once it agrees (so the list cannot go
//! stale: the fix must remove the line). A line naming no trial is also reported.

use crate::compare::check::Check;
use std::collections::BTreeMap;
use std::path::Path;

/// One listed trial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line in the file.
    pub line: usize,
    /// The text after `#`, trimmed (may be empty).
    pub reason: String,
}

/// The parsed list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Xfail {
    pub entries: BTreeMap<String, Entry>,
}

impl Xfail {
    /// Parse the file's text. Errors name the line: a line with more than one word before
    /// its `#`, or a trial listed twice.
    pub fn parse(text: &str) -> Result<Xfail, Vec<String>> {
        let mut entries: BTreeMap<String, Entry> = BTreeMap::new();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let (name, reason) = match raw.split_once('#') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (raw.trim(), ""),
            };
            if name.is_empty() {
                continue;
            }
            if name.split_whitespace().count() != 1 {
                errors.push(format!(
                    "line {n}: `{name}`: one trial name per line, then `# reason`"
                ));
                continue;
            }
            if let Some(prev) = entries.get(name) {
                errors.push(format!(
                    "line {n}: `{name}` is already listed on line {}",
                    prev.line
                ));
                continue;
            }
            entries.insert(
                name.to_string(),
                Entry {
                    line: n,
                    reason: reason.to_string(),
                },
            );
        }
        if errors.is_empty() {
            Ok(Xfail { entries })
        } else {
            Err(errors)
        }
    }

    /// Read the list; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<Xfail, Vec<String>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Xfail::parse(&text).map_err(|es| {
                es.into_iter()
                    .map(|e| format!("{}: {e}", path.display()))
                    .collect()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Xfail::default()),
            Err(e) => Err(vec![format!("{}: cannot read: {e}", path.display())]),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Listed names that are not among `known` trial names, with their lines.
    pub fn unknown<'a>(
        &'a self,
        known: &std::collections::BTreeSet<String>,
    ) -> Vec<(&'a str, usize)> {
        self.entries
            .iter()
            .filter(|(n, _)| !known.contains(*n))
            .map(|(n, e)| (n.as_str(), e.line))
            .collect()
    }
}

/// The verdict of trial `name` given its check and whether it is listed (`entry`).
///
/// Unlisted: passes only when the check agrees. Listed: passes while the check disagrees
/// or errs, fails when it agrees ("remove it from xfail.txt"), and fails when there is
/// nothing to compare with (a missing expected block proves nothing).
pub fn verdict(
    name: &str,
    list_file: &str,
    entry: Option<&Entry>,
    check: &Check,
) -> Result<(), String> {
    match (entry, check) {
        (None, Check::Agree) => Ok(()),
        (None, c) => Err(c.message().unwrap_or_default()),
        (Some(_), Check::Disagree { .. } | Check::Error(_)) => Ok(()),
        (Some(e), Check::Agree) => Err(format!(
            "{name} now agrees with expected/, but {list_file} (line {}) lists it as an expected \
             failure{}: remove it from {list_file}",
            e.line,
            if e.reason.is_empty() {
                String::new()
            } else {
                format!(" (\"{}\")", e.reason)
            }
        )),
        (Some(e), Check::Missing(m)) => Err(format!(
            "{m}\n({name} is listed in {list_file} line {}, but there is nothing to compare with)",
            e.line
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_reasons() {
        let x = Xfail::parse(
            "# header comment\n\nmodel/3.12/seed/a  # not modelled yet\nmodel/2.7/seed/b\n",
        )
        .unwrap();
        assert_eq!(x.entries.len(), 2);
        assert_eq!(
            x.get("model/3.12/seed/a"),
            Some(&Entry {
                line: 3,
                reason: "not modelled yet".into()
            })
        );
        assert_eq!(x.get("model/2.7/seed/b").unwrap().reason, "");
        let known = ["model/3.12/seed/a".to_string()].into_iter().collect();
        assert_eq!(x.unknown(&known), vec![("model/2.7/seed/b", 4)]);
    }

    #[test]
    fn rejects_malformed_lines() {
        let e = Xfail::parse("a b # r\nc\nc\n").unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[0].starts_with("line 1:"), "{e:?}");
        assert!(e[1].contains("line 3") && e[1].contains("line 2"), "{e:?}");
    }

    #[test]
    fn listed_trials_pass_while_failing_and_fail_once_fixed() {
        let entry = Entry {
            line: 7,
            reason: "resurrection".into(),
        };
        let dis = Check::Disagree {
            headline: "h".into(),
            report: "r".into(),
        };
        let f = "tests/xfail.txt";
        assert_eq!(verdict("t", f, None, &Check::Agree), Ok(()));
        assert_eq!(verdict("t", f, None, &dis), Err("r".into()));
        assert_eq!(verdict("t", f, Some(&entry), &dis), Ok(()));
        assert_eq!(
            verdict("t", f, Some(&entry), &Check::Error("e".into())),
            Ok(())
        );
        let e = verdict("t", f, Some(&entry), &Check::Agree).unwrap_err();
        assert!(
            e.contains("now agrees") && e.contains("remove it from tests/xfail.txt"),
            "{e}"
        );
        assert!(e.contains("line 7") && e.contains("resurrection"), "{e}");
        let e = verdict("t", f, Some(&entry), &Check::Missing("no block".into())).unwrap_err();
        assert!(e.starts_with("no block"), "{e}");
    }
}
