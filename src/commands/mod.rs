//! Layer 8: one file per subcommand. Each declares its arguments (a clap `Args` struct) and one
//! entry point, `exec(&Context, &Args) -> Result<ExitStatus>`; the work is in the layers below
//! (the services, the matrix, fuzz and bench). Commands never import each other; `cli.rs`
//! lists them and dispatches.

pub mod bench;
pub mod bless;
pub mod diff;
pub mod explain;
pub mod fuzz;
pub mod graph;
pub mod interpreters;
pub mod matrix;
pub mod run;
pub mod schema;
pub mod speed;
pub mod trace;
pub mod translate;
