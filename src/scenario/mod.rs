//! Scenario loading and validation: YAML text → [`Scenario`], or diagnostics that name the file,
//! line and column of every problem.
//!
//! One job per file:
//! - `raw.rs`: the serde types of the file's shape, the one copy (the JSON Schema derives from
//!   them);
//! - `schema.rs`: the JSON Schema of scenario files, generated from the raw types;
//! - `pos.rs`: finding values again in the YAML text, for positions;
//! - `parse.rs`: one statement's text → [`Stmt`];
//! - `steps.rs`: the `steps:` list and its `repeat:` / `random_edges:` blocks → [`Step`]s;
//! - `semantics.rs`: the semantic checks over a structurally valid scenario, and the name rules;
//! - `load.rs`: discovering files, loading one, and the pass that ties the others together;
//! - `hierarchy.rs`: inheritance among classes (MRO, instance layout, what the MRO finds);
//! - `ast.rs`: the validated form, [`Scenario`].

pub mod ast;
pub mod hierarchy;
mod load;
pub mod parse;
mod pos;
pub mod raw;
pub mod schema;
pub mod scope;
mod semantics;
mod steps;

pub use ast::{
    BUILTIN_CALLBACK, CallbackDef, ClassDef, ClassOrigin, FuncDef, FuncScope, Handler, MethodDef,
    MethodKind, Param, Pos, Query, Scenario, SetBuild, Step, Stmt, Target, Throw, TryStmt, Value,
    call_text, class_stmt_text, def_header, set_op_text, set_text, tuple_is_new,
};
pub use load::{discover, load, parse_scenario, scenario_id};
pub use steps::random_edges_text;

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub pos: Pos,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: error: {}",
            self.file.display(),
            self.pos.line,
            self.pos.col,
            self.message
        )
    }
}

/// Every problem found in one scenario file (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Collects the diagnostics of one file while it is loaded (the loader, the step reader and the
/// semantic checks all report into it).
struct Checker<'a> {
    file: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos,
            message: message.into(),
        });
    }
}
