//! Versions side by side: which versions share a trace (`2.7 | 3.6-3.10 | 3.11-3.13`).

use super::Trace;
use crate::version::{Version, version_list};
use std::collections::BTreeMap;

/// Versions grouped by identical trace: each group ascending, groups ordered by their oldest
/// version.
pub fn version_groups(traces: &BTreeMap<Version, Trace>) -> Vec<(Vec<Version>, &Trace)> {
    let mut groups: Vec<(Vec<Version>, &Trace)> = Vec::new();
    for (v, t) in traces {
        match groups.iter_mut().find(|(_, g)| *g == t) {
            Some((vs, _)) => vs.push(*v),
            None => groups.push((vec![*v], t)),
        }
    }
    groups
}

/// Which versions share a trace, in one line: `2.7 | 3.6-3.10 | 3.11-3.13`.
pub fn version_matrix(traces: &BTreeMap<Version, Trace>) -> String {
    version_groups(traces)
        .iter()
        .map(|(vs, _)| version_list(vs))
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Trace {
        Trace::parse(s).unwrap()
    }

    #[test]
    fn matrix_groups_versions_sharing_a_trace() {
        let a = t("gc.collect() -> 4\n");
        let b = t("gc.collect() -> 2\n");
        let mut m = BTreeMap::new();
        for v in Version::ALL {
            m.insert(
                v,
                if v >= Version::V3_11 {
                    b.clone()
                } else {
                    a.clone()
                },
            );
        }
        m.insert(Version::V2_7, t("gc.collect() -> 9\n"));
        assert_eq!(version_matrix(&m), "2.7 | 3.6-3.10 | 3.11-3.13");
        m.insert(Version::V3_12, a.clone());
        assert_eq!(version_matrix(&m), "2.7 | 3.6-3.10, 3.12 | 3.11, 3.13");
    }
}
