//! Scenario → Python program (runs on 2.7 and 3.x) that prints the scenario's trace.

use crate::scenario::Scenario;

/// The Python program that stands for `scenario`.
pub fn translate(_scenario: &Scenario) -> String {
    unimplemented!("runner helper writes this")
}
