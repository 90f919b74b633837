//! `gcconform interpreters`: the interpreters found, and the versions that have none.

use crate::compare::output::missing_list;
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
    let (_, missing) = per_version(&d);
    println!("missing: {}", missing_list(&missing));
    Ok(ExitStatus::Ok)
}
