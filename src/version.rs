//! CPython versions gcconform knows, and version ranges as written in scenarios (`versions:`).

use std::fmt;
use std::str::FromStr;

/// One CPython minor version that gcconform models and checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V2_7,
    V3_6,
    V3_7,
    V3_8,
    V3_9,
    V3_10,
    V3_11,
    V3_12,
    V3_13,
}

impl Version {
    /// Every supported version, oldest first.
    pub const ALL: [Version; 9] = [
        Version::V2_7,
        Version::V3_6,
        Version::V3_7,
        Version::V3_8,
        Version::V3_9,
        Version::V3_10,
        Version::V3_11,
        Version::V3_12,
        Version::V3_13,
    ];

    /// `(major, minor)`.
    pub fn major_minor(self) -> (u32, u32) {
        match self {
            Version::V2_7 => (2, 7),
            Version::V3_6 => (3, 6),
            Version::V3_7 => (3, 7),
            Version::V3_8 => (3, 8),
            Version::V3_9 => (3, 9),
            Version::V3_10 => (3, 10),
            Version::V3_11 => (3, 11),
            Version::V3_12 => (3, 12),
            Version::V3_13 => (3, 13),
        }
    }

    /// The version with this `(major, minor)`, if supported.
    pub fn from_major_minor(major: u32, minor: u32) -> Option<Version> {
        Version::ALL
            .into_iter()
            .find(|v| v.major_minor() == (major, minor))
    }

    /// The patch release of this version installed on the reference machines
    /// (where `expected/` was blessed).
    pub fn reference_release(self) -> &'static str {
        match self {
            Version::V2_7 => "2.7.18",
            Version::V3_6 => "3.6.15",
            Version::V3_7 => "3.7.16",
            Version::V3_8 => "3.8.18",
            Version::V3_9 => "3.9.18",
            Version::V3_10 => "3.10.13",
            Version::V3_11 => "3.11.7",
            Version::V3_12 => "3.12.1",
            Version::V3_13 => "3.13.0",
        }
    }
}

/// How `type_new` lays out the instances of a class, per version: the facts the instance
/// layout rules of both the language's checks (`__class__` assignment) and the model's profile
/// table read, so that they are written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeLayout {
    /// Every heap type is a GC type (3.8+); before, a class adding no instance variable to
    /// `object` is not (bpo-32388: `Py_TPFLAGS_HAVE_GC` unconditionally set in `type_new`).
    pub heap_types_always_gc: bool,
    /// A `__dict__` a class adds is managed (`Py_TPFLAGS_MANAGED_DICT`, 3.11+): outside
    /// `tp_basicsize`.
    pub managed_dict: bool,
    /// A weakref list a class adds is managed (`Py_TPFLAGS_MANAGED_WEAKREF`, 3.12+).
    pub managed_weakref: bool,
}

impl Version {
    /// The version's [`TypeLayout`].
    pub fn type_layout(self) -> TypeLayout {
        TypeLayout {
            heap_types_always_gc: self >= Version::V3_8,
            managed_dict: self >= Version::V3_11,
            managed_weakref: self >= Version::V3_12,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.major_minor();
        write!(f, "{a}.{b}")
    }
}

/// Error for a version string that names no supported version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown CPython version `{0}` (supported: 2.7, 3.6, 3.7, 3.8, 3.9, 3.10, 3.11, 3.12, 3.13)"
)]
pub struct UnknownVersion(pub String);

impl FromStr for Version {
    type Err = UnknownVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let mut parts = t.split('.');
        let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(UnknownVersion(s.to_string()));
        };
        match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => {
                Version::from_major_minor(a, b).ok_or_else(|| UnknownVersion(s.to_string()))
            }
            _ => Err(UnknownVersion(s.to_string())),
        }
    }
}

/// One item of a scenario's `versions:` list: `3.7`, `3.7+`, or `3.6-3.10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionRange {
    pub lo: Version,
    pub hi: Version,
}

impl VersionRange {
    pub fn contains(&self, v: Version) -> bool {
        self.lo <= v && v <= self.hi
    }
}

impl FromStr for VersionRange {
    type Err = UnknownVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if let Some(lo) = t.strip_suffix('+') {
            let lo: Version = lo.parse().map_err(|_| UnknownVersion(s.to_string()))?;
            return Ok(VersionRange {
                lo,
                hi: Version::V3_13,
            });
        }
        if let Some((a, b)) = t.split_once('-') {
            let lo: Version = a.parse().map_err(|_| UnknownVersion(s.to_string()))?;
            let hi: Version = b.parse().map_err(|_| UnknownVersion(s.to_string()))?;
            if lo > hi {
                return Err(UnknownVersion(s.to_string()));
            }
            return Ok(VersionRange { lo, hi });
        }
        let v: Version = t.parse()?;
        Ok(VersionRange { lo: v, hi: v })
    }
}

/// A compact list of versions: runs of consecutive versions become ranges as written in
/// scenarios (`2.7, 3.6-3.10`).
pub fn version_list(versions: &[Version]) -> String {
    let idx = |v: &Version| Version::ALL.iter().position(|x| x == v).unwrap_or(0);
    let mut sorted = versions.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && idx(&sorted[j + 1]) == idx(&sorted[j]) + 1 {
            j += 1;
        }
        if j > i {
            parts.push(format!("{}-{}", sorted[i], sorted[j]));
        } else {
            parts.push(sorted[i].to_string());
        }
        i = j + 1;
    }
    parts.join(", ")
}

/// What `--python` and `--model` arguments select: every command parses them with
/// [`VersionSelection::parse`], so they all accept the same syntax: repeated flags, comma
/// lists, versions (`3.12`), ranges (`3.8-3.11`, `3.11+`), `all`, `none`, and (for `--python`)
/// interpreter paths or commands (`/usr/bin/python3.12`, `pypy3`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionSelection {
    /// `all` was given, or nothing at all.
    pub all: bool,
    /// `none` was given (and nothing else): the side is off.
    pub none: bool,
    /// The versions named, by themselves or in ranges, oldest first.
    pub versions: Vec<Version>,
    /// Interpreter paths or commands, as given.
    pub paths: Vec<String>,
}

impl VersionSelection {
    /// Parse the values of a repeatable flag (each may be a comma list). No value at all means
    /// `all`. An unknown or unmodelled version is an error that lists the modelled ones; so is a
    /// path where `paths` is false.
    pub fn parse(values: &[String], paths: bool) -> Result<VersionSelection, String> {
        let mut sel = VersionSelection::default();
        let mut any = false;
        for part in values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            any = true;
            match part {
                "all" => sel.all = true,
                "none" => sel.none = true,
                _ if looks_like_versions(part) => {
                    let r: VersionRange = part.parse().map_err(|_| {
                        format!(
                            "`{part}` is not a modelled CPython version or range; the modelled \
                             versions are {}{}",
                            Version::ALL.map(|v| v.to_string()).join(", "),
                            if paths {
                                " (an interpreter of another version is named by its path)"
                            } else {
                                ""
                            }
                        )
                    })?;
                    sel.versions
                        .extend(Version::ALL.into_iter().filter(|v| r.contains(*v)));
                }
                _ if paths => sel.paths.push(part.to_string()),
                _ => {
                    return Err(format!(
                        "`{part}` is not a version, a range (`3.8-3.11`, `3.11+`), `all` or `none`"
                    ));
                }
            }
        }
        if !any {
            if values.is_empty() {
                sel.all = true;
            } else {
                return Err("an empty version list selects nothing; use `none`".into());
            }
        }
        if sel.none && (sel.all || !sel.versions.is_empty() || !sel.paths.is_empty()) {
            return Err("`none` cannot be combined with other versions".into());
        }
        sel.versions.sort();
        sel.versions.dedup();
        Ok(sel)
    }

    /// Whether the selection takes version `v` (for the model side: paths do not count).
    pub fn includes(&self, v: Version) -> bool {
        !self.none && (self.all || self.versions.contains(&v))
    }

    /// The versions selected, oldest first (every version for `all`).
    pub fn selected(&self) -> Vec<Version> {
        Version::ALL
            .into_iter()
            .filter(|v| self.includes(*v))
            .collect()
    }

    /// Whether versions were named one by one (not `all`): missing interpreters for them are
    /// failures, not notes.
    pub fn explicit(&self) -> bool {
        !self.all
    }
}

/// Whether a `--python`/`--model` item is meant as a version or range (digits, dots, `-`,
/// `+`), as opposed to an interpreter path or command.
fn looks_like_versions(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_and_ranges() {
        assert_eq!("3.10".parse::<Version>().unwrap(), Version::V3_10);
        assert!("3.1".parse::<Version>().is_err());
        assert!("3.14".parse::<Version>().is_err());
        let r: VersionRange = "3.6-3.10".parse().unwrap();
        assert!(r.contains(Version::V3_6) && r.contains(Version::V3_10));
        assert!(!r.contains(Version::V2_7) && !r.contains(Version::V3_11));
        let r: VersionRange = "3.7+".parse().unwrap();
        assert!(r.contains(Version::V3_13) && !r.contains(Version::V3_6));
        assert!("3.10-3.6".parse::<VersionRange>().is_err());
    }

    #[test]
    fn lists_versions_as_ranges() {
        assert_eq!(version_list(&[Version::V3_7]), "3.7");
        assert_eq!(version_list(&[]), "");
        assert_eq!(
            version_list(&[
                Version::V3_8,
                Version::V2_7,
                Version::V3_6,
                Version::V3_7,
                Version::V3_13
            ]),
            "2.7-3.8, 3.13"
        );
    }

    #[test]
    fn one_syntax_for_version_selections() {
        let p = |v: &[&str], paths: bool| {
            VersionSelection::parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), paths)
        };
        let all = p(&[], true).unwrap();
        assert!(all.all && all.includes(Version::V2_7) && all.selected().len() == 9);
        let s = p(&["3.12,3.13", "2.7"], true).unwrap();
        assert_eq!(s.versions, [Version::V2_7, Version::V3_12, Version::V3_13]);
        assert!(!s.all && s.explicit() && !s.includes(Version::V3_6));
        let s = p(&["3.8-3.10", "3.12+"], false).unwrap();
        assert_eq!(
            s.versions,
            [
                Version::V3_8,
                Version::V3_9,
                Version::V3_10,
                Version::V3_12,
                Version::V3_13
            ]
        );
        let s = p(&["all", "/usr/bin/pypy3", "python3.12"], true).unwrap();
        assert!(s.all);
        assert_eq!(s.paths, ["/usr/bin/pypy3", "python3.12"]);
        let s = p(&["none"], true).unwrap();
        assert!(s.none && !s.includes(Version::V3_12) && s.selected().is_empty());
        let e = p(&["3.14"], true).unwrap_err();
        assert!(
            e.contains("`3.14` is not a modelled CPython version"),
            "{e}"
        );
        assert!(
            e.contains("2.7, 3.6, 3.7, 3.8, 3.9, 3.10, 3.11, 3.12, 3.13"),
            "{e}"
        );
        assert!(p(&["3.5"], false).is_err());
        assert!(p(&["pypy3"], false).unwrap_err().contains("not a version"));
        assert!(p(&[","], true).is_err());
        assert!(p(&["none,3.12"], true).is_err());
    }
}
