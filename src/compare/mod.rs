//! Layer 5: comparison. A trace (from the model or a live interpreter) against the block
//! recorded in `expected/` for its version ([`check`]), the report of a disagreement
//! ([`report`]), the expected-failure list ([`xfail`]), and how checks are shown
//! ([`output`]).

pub mod check;
pub mod junit;
pub mod output;
pub mod report;
pub mod verdict;
pub mod xfail;

pub use check::Check;
