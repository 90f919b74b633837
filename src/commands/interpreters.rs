//! `gcconform interpreters`: the interpreter chosen for each modelled version, the versions
//! that have none, and every other interpreter found (other releases, builds, implementations).

use crate::compare::output::missing_list;
use crate::compare::verdict::release_differences;
use crate::runner::discover::same_file;
use crate::runner::{Interpreter, discover_all};
use crate::service::select::{discover, per_version};
use crate::service::{Context, ExitStatus};
use crate::util::guarded;

/// `gcconform interpreters`.
pub fn exec(_: &Context) -> anyhow::Result<ExitStatus> {
    let d = discover();
    let (all, _) = guarded(discover_all).unwrap_or_default();
    let from = |i: &Interpreter| {
        all.iter()
            .find(|(_, a)| same_file(&a.path, &i.path))
            .map_or("", |(w, _)| w.as_str())
            .to_string()
    };
    println!("modelled versions (the interpreters run, diff, bless and matrix use):");
    let chosen: Vec<&Interpreter> = d.found.iter().filter(|i| i.version.is_some()).collect();
    if chosen.is_empty() {
        println!("  none found");
    }
    for i in &chosen {
        let v = i.version.map(|v| v.to_string()).unwrap_or_default();
        println!(
            "  {v:<6} {:<10} {:<10} {:<8} {}",
            i.release,
            i.implementation,
            from(i),
            i.path.display()
        );
    }
    // expected/ and the model's version table describe one release per version: say where an
    // interpreter is another one, and what the model knows to differ between the two.
    for i in chosen.iter().filter(|i| i.is_cpython()) {
        let Some(v) = i.version else { continue };
        if i.release == v.reference_release() {
            continue;
        }
        let what = match release_differences(v, v.reference_release(), &i.release) {
            Some(d) => format!("the two differ in {d}"),
            None => "the model knows no difference between the two".to_string(),
        };
        println!(
            "note: {v} is CPython {}; expected/ is recorded from CPython {} ({what})",
            i.release,
            v.reference_release()
        );
    }
    let (_, missing) = per_version(&d);
    println!("missing: {}", missing_list(&missing));
    let others: Vec<&(String, Interpreter)> = all
        .iter()
        .filter(|(_, i)| !chosen.iter().any(|c| same_file(&c.path, &i.path)))
        .collect();
    if !others.is_empty() {
        println!("other interpreters found:");
        for (w, i) in others {
            println!(
                "  {:<10} {:<10} {:<20} {:<8} {}  ({})",
                i.release,
                i.implementation,
                i.build(),
                w,
                i.path.display(),
                why_not_used(i)
            );
        }
    }
    Ok(ExitStatus::Ok)
}

/// Why an interpreter found is not the one of a modelled version.
fn why_not_used(i: &Interpreter) -> String {
    if !i.is_cpython() {
        return format!("{}: not modelled", i.implementation);
    }
    if i.free_threaded {
        return "free-threaded: its collector has no generations; not modelled".to_string();
    }
    if i.debug {
        return "debug build: not modelled".to_string();
    }
    match i.version {
        Some(v) => format!("another {v} release; the one above is used"),
        None => "not a modelled version".to_string(),
    }
}
