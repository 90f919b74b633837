//! `gcconform interpreters`: the interpreters found, and the versions that have none.

use crate::compare::output::missing_list;
use crate::compare::verdict::release_differences;
use crate::runner::Interpreter;
use crate::service::select::{discover, per_version};
use crate::service::{Context, ExitStatus};

/// `gcconform interpreters`.
pub fn exec(_: &Context) -> anyhow::Result<ExitStatus> {
    let d = discover();
    if d.found.is_empty() {
        println!("no interpreters found");
    }
    let mut rows: Vec<&Interpreter> = d.found.iter().collect();
    rows.sort_by_key(|i| (i.version.is_none(), i.version, i.path.clone()));
    for i in rows {
        let v = i
            .version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{v:<6} {:<10} {:<10} {}",
            i.release,
            i.implementation,
            i.path.display()
        );
    }
    // expected/ and the model's version table describe one release per version: say where an
    // interpreter is another one, and what the model knows to differ between the two.
    for i in d.found.iter().filter(|i| i.is_cpython()) {
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
    Ok(ExitStatus::Ok)
}
