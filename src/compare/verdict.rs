//! What the evidence says when traces disagree with `expected/`: for one (scenario, version),
//! the model's trace and the live interpreter's are held against the recorded block and each
//! other, and the report leads with the conclusion they support.
//!
//! | model vs expected | CPython vs expected | model vs CPython | verdict |
//! | --- | --- | --- | --- |
//! | differs | differs | equal | [`Verdict::Stale`]: CPython changed, or the file was edited |
//! | differs | equal | — | [`Verdict::ModelBug`] |
//! | equal | differs | — | [`Verdict::InterpreterDiffers`]: another patch release or build |
//! | differs | differs | differ | [`Verdict::AllDiffer`] |
//! | differs | not run | — | [`Verdict::NoLive`]: cannot tell a model bug from a stale file |
//! | not run | differs | — | [`Verdict::NoModel`] |

use crate::model::profile::Profile;
use crate::scenario::{Scenario, Stmt};
use crate::trace::{Event, Trace};
use crate::version::Version;

/// The conclusion the traces of one (scenario, version) support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The model and live CPython agree with each other but not with `expected/`.
    Stale,
    /// Live CPython agrees with `expected/`; the model does not.
    ModelBug,
    /// The model agrees with `expected/`; the live interpreter does not.
    InterpreterDiffers,
    /// The model, live CPython and `expected/` all differ.
    AllDiffer,
    /// The model differs from `expected/` and there is no live trace to tell why.
    NoLive,
    /// The live interpreter differs from `expected/` and the model was not run.
    NoModel,
}

impl Verdict {
    /// Its name in JSON reports: `stale`, `model-bug`, `interpreter-differs`, `all-differ`,
    /// `no-live`, `no-model`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Stale => "stale",
            Verdict::ModelBug => "model-bug",
            Verdict::InterpreterDiffers => "interpreter-differs",
            Verdict::AllDiffer => "all-differ",
            Verdict::NoLive => "no-live",
            Verdict::NoModel => "no-model",
        }
    }

    /// The verdict for `expected`, given the model's trace and the live one (`None`: not run or
    /// no trace); `None` when nothing disagrees.
    pub fn of(expected: &Trace, model: Option<&Trace>, live: Option<&Trace>) -> Option<Verdict> {
        let m_ok = model.map(|m| m == expected);
        let p_ok = live.map(|p| p == expected);
        Some(match (m_ok, p_ok) {
            (Some(true), Some(true) | None) | (None, Some(true)) | (None, None) => return None,
            (Some(false), Some(false)) if model == live => Verdict::Stale,
            (Some(false), Some(false)) => Verdict::AllDiffer,
            (Some(false), Some(true)) => Verdict::ModelBug,
            (Some(true), Some(false)) => Verdict::InterpreterDiffers,
            (Some(false), None) => Verdict::NoLive,
            (None, Some(false)) => Verdict::NoModel,
        })
    }
}

/// The patch number of a release string (`3.12.5` → 5; `3.13.0rc1` → 0), if it has one.
pub fn patch_of(release: &str) -> Option<u32> {
    let p = release.split('.').nth(2)?;
    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// What the model's version table says about running a `version` interpreter of release
/// `live` (`3.12.5`) where `reference` (`3.12.1`) is what expected/ and the model's row
/// describe: the behaviours the two releases' profiles differ in (`Profile::differences`),
/// or `None` when they are the same release or the model knows no difference.
pub fn release_differences(version: Version, reference: &str, live: &str) -> Option<String> {
    if reference == live {
        return None;
    }
    let (Some(a), Some(b)) = (patch_of(reference), patch_of(live)) else {
        return None;
    };
    let d = Profile::for_release(version, a).differences(&Profile::for_release(version, b));
    (!d.is_empty()).then(|| d.join("; "))
}

/// The note a report carries when a live interpreter is not the release `expected/` was
/// recorded from (`recorded`, `CPython 3.12.1`): which releases, and what the model knows to
/// differ between them.
pub fn release_note(version: Version, recorded: Option<&str>, live_label: &str) -> Option<String> {
    let rec = recorded?;
    if rec == live_label {
        return None;
    }
    let mut s =
        format!("note: expected/ was recorded from {rec}; this interpreter is {live_label}");
    let release = |l: &str| l.rsplit(' ').next().unwrap_or_default().to_string();
    match release_differences(version, &release(rec), &release(live_label)) {
        Some(d) => s.push_str(&format!(
            ", and the two releases differ in {d}: expect a different trace"
        )),
        None => s.push_str(" (the model knows no difference between the two releases)"),
    }
    Some(s)
}

/// What a verdict's text needs to name.
pub struct Context<'a> {
    pub scenario: &'a Scenario,
    /// The versions the verdict covers, as a list (`3.11-3.13`).
    pub versions: &'a str,
    /// The live interpreters involved (`CPython 3.12.1`), if any.
    pub live: &'a str,
    /// The release `expected/` was recorded from.
    pub recorded: Option<&'a str>,
    /// `expected/<id>.trace`.
    pub expected_path: &'a str,
    /// The command that re-records the scenario.
    pub bless: &'a str,
    /// How gcconform is invoked (`gcconform`).
    pub program: &'a str,
    /// For a model bug: the expected trace and the model's, to name the first difference.
    pub traces: Option<(&'a Trace, &'a Trace)>,
    /// The first version covered (for commands that take one).
    pub first_version: &'a str,
    /// Options `run` needs to find the same expected/ (` --expected DIR`, or nothing).
    pub run_options: &'a str,
}

/// The verdict as the first lines of a report.
pub fn text(v: Verdict, cx: &Context<'_>) -> String {
    let file = cx.scenario.path.display();
    match v {
        Verdict::Stale => format!(
            "verdict: expected/ is stale: the model and {live} agree with each other, not with {path} \
             (CPython changed, or the file was edited)\nre-record it from real CPython: {bless}",
            live = cx.live,
            path = cx.expected_path,
            bless = cx.bless
        ),
        Verdict::ModelBug => {
            let mut s = format!(
                "verdict: a model bug: {live} agrees with expected/, the model does not",
                live = cx.live
            );
            if let Some((e, m)) = cx.traces {
                s.push('\n');
                s.push_str(&first_difference(cx.scenario, e, m));
            }
            s.push_str(&format!(
                "\nsee what the model did: {} explain {file} --model {}",
                cx.program, cx.first_version
            ));
            s
        }
        Verdict::InterpreterDiffers => format!(
            "verdict: this interpreter behaves differently from the one that recorded expected/: \
             the model agrees with expected/ (recorded from {rec}), {live} does not (another \
             patch release? another build?)",
            rec = cx.recorded.unwrap_or("an unnamed release"),
            live = cx.live
        ),
        Verdict::AllDiffer => format!(
            "verdict: the model, {live} and expected/ all differ: compare the model with CPython \
             first ({program} diff {file} --python {v}), then re-record if CPython changed \
             ({bless})",
            live = cx.live,
            program = cx.program,
            v = cx.first_version,
            bless = cx.bless
        ),
        Verdict::NoLive => format!(
            "verdict: undecided: no CPython {versions} ran here, so this cannot tell a model bug \
             (CPython still agrees with expected/) from a stale expected file (CPython changed); \
             run it where that interpreter is installed: {program} run {file} --python {v}{opts}",
            versions = cx.versions,
            program = cx.program,
            v = cx.first_version,
            opts = cx.run_options
        ),
        Verdict::NoModel => format!(
            "verdict: {live} differs from expected/ (recorded from {rec}); the model of {versions} \
             was not run, so this cannot tell a changed CPython from an edited file",
            live = cx.live,
            rec = cx.recorded.unwrap_or("an unnamed release"),
            versions = cx.versions
        ),
    }
}

/// `first difference: event 3, expected `__del__ a`, got `gc.collect() -> 2`, from the
/// statements in lines 12-19 (up to `gc.collect(2)`)`.
pub fn first_difference(s: &Scenario, expected: &Trace, actual: &Trace) -> String {
    let Some(i) = expected.first_difference(actual) else {
        return "the traces are equal".into();
    };
    let shown = |t: &Trace| {
        t.events
            .get(i)
            .map_or("the end of the trace".to_string(), |e| format!("`{e}`"))
    };
    let mut out = format!(
        "first difference: event {}: expected {}, got {}",
        i + 1,
        shown(expected),
        shown(actual)
    );
    if let Some(lines) = statements_before(s, expected, i) {
        out.push_str(&format!(", {lines}"));
    }
    out
}

/// Which statements produced event `i` of `t`: those after the top-level observation before
/// it, up to the next one. Known only when the trace's observations line up with the
/// scenario's top-level `gc.collect()` statements (one observation each, then the final one).
fn statements_before(s: &Scenario, t: &Trace, i: usize) -> Option<String> {
    let collects: Vec<usize> = s
        .steps
        .iter()
        .enumerate()
        .filter(|(_, st)| matches!(st.stmt, Stmt::Collect(_)))
        .map(|(k, _)| k)
        .collect();
    let observations = t
        .events
        .iter()
        .filter(|e| matches!(e, Event::Alive(_)))
        .count();
    if observations != collects.len() + 1 {
        return None;
    }
    // Observations completed before event i (an observation ends with its `alive` event).
    let done = t.events[..i.min(t.events.len())]
        .iter()
        .filter(|e| matches!(e, Event::Alive(_)))
        .count();
    let from = if done == 0 { 0 } else { collects[done - 1] + 1 };
    let to = match collects.get(done) {
        Some(&k) => k,
        None => s.steps.len().checked_sub(1)?,
    };
    let (a, b) = (s.steps.get(from)?, s.steps.get(to)?);
    Some(if from == to {
        format!("from line {} (`{}`)", a.pos.line, a.text)
    } else {
        format!(
            "from the statements in lines {}-{} (up to `{}`)",
            a.pos.line, b.pos.line, b.text
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn t(s: &str) -> Trace {
        Trace::parse(s).unwrap()
    }

    #[test]
    fn verdicts_follow_the_evidence() {
        let e = t("gc.collect() -> 4\n");
        let x = t("gc.collect() -> 2\n");
        let y = t("gc.collect() -> 3\n");
        assert_eq!(Verdict::of(&e, Some(&e), Some(&e)), None);
        assert_eq!(Verdict::of(&e, Some(&x), Some(&x)), Some(Verdict::Stale));
        assert_eq!(Verdict::of(&e, Some(&x), Some(&e)), Some(Verdict::ModelBug));
        assert_eq!(
            Verdict::of(&e, Some(&e), Some(&x)),
            Some(Verdict::InterpreterDiffers)
        );
        assert_eq!(
            Verdict::of(&e, Some(&x), Some(&y)),
            Some(Verdict::AllDiffer)
        );
        assert_eq!(Verdict::of(&e, Some(&x), None), Some(Verdict::NoLive));
        assert_eq!(Verdict::of(&e, None, Some(&x)), Some(Verdict::NoModel));
        assert_eq!(Verdict::of(&e, Some(&e), None), None);
    }

    #[test]
    fn release_notes_say_what_differs_between_patch_releases() {
        assert_eq!(patch_of("3.12.5"), Some(5));
        assert_eq!(patch_of("3.13.0rc1"), Some(0));
        assert_eq!(patch_of("3.12"), None);
        assert_eq!(
            release_note(Version::V3_12, Some("CPython 3.12.1"), "CPython 3.12.1"),
            None
        );
        let n = release_note(Version::V3_12, Some("CPython 3.12.1"), "CPython 3.12.5").unwrap();
        assert!(n.starts_with("note: expected/ was recorded from CPython 3.12.1; this interpreter is CPython 3.12.5, and the two releases differ in whether a scheduled automatic collection still runs after gc.disable()"), "{n}");
        assert_eq!(
            release_differences(Version::V3_12, "3.12.0", "3.12.2"),
            None
        );
        let n = release_note(Version::V3_11, Some("CPython 3.11.7"), "CPython 3.11.9").unwrap();
        assert!(
            n.ends_with("(the model knows no difference between the two releases)"),
            "{n}"
        );
    }

    #[test]
    fn the_first_difference_names_its_statements() {
        let s = crate::scenario::parse_scenario(
            Path::new("scenarios/t/x.yaml"),
            "classes:\n  A:\n    __del__: pass\nsteps:\n  - a = A()\n  - a.me = a\n  - del a\n  - gc.collect()\n  - b = A()\n  - del b\n",
        )
        .unwrap();
        let e = t(
            "__del__ a\ngc.collect() -> 2\ngc.garbage: []\nalive: []\n__del__ b\nend\ngc.garbage: []\nalive: []\n",
        );
        let m = t(
            "gc.collect() -> 2\ngc.garbage: []\nalive: [a]\n__del__ b\nend\ngc.garbage: []\nalive: [a]\n",
        );
        let d = first_difference(&s, &e, &m);
        assert!(
            d.starts_with(
                "first difference: event 1: expected `__del__ a`, got `gc.collect() -> 2`"
            ),
            "{d}"
        );
        assert!(d.contains("lines 5-8 (up to `gc.collect()`)"), "{d}");
        let m2 = t(
            "__del__ a\ngc.collect() -> 2\ngc.garbage: []\nalive: []\nend\ngc.garbage: []\nalive: []\n",
        );
        let d = first_difference(&s, &e, &m2);
        assert!(
            d.contains("event 5: expected `__del__ b`, got `end`"),
            "{d}"
        );
        assert!(d.contains("lines 9-10 (up to `del b`)"), "{d}");
    }
}
