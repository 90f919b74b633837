//! The exit status of every command, and the one rule that combines several.
//!
//! 0 everything agreed / succeeded; 1 some check disagreed (or the model failed); 2 bad input
//! (scenario files that do not load, unknown paths or versions, malformed expected files,
//! `bless` under CI) or the job could not be done at all; 3 an interpreter failed (timed out,
//! crashed, printed no valid trace, or was asked for explicitly and is missing). When several
//! apply, the most telling wins: 2, then 3, then 1.

use std::ops::{BitOr, BitOrAssign};

/// What a command's run came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExitStatus {
    /// Every check agreed, every run succeeded.
    #[default]
    Ok,
    /// Some check disagreed or some run failed.
    Disagree,
    /// Bad input, or the job could not be done.
    BadInput,
    /// An interpreter failed: timeout, crash, no valid trace, or missing though asked for.
    Interpreter,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Disagree => 1,
            ExitStatus::BadInput => 2,
            ExitStatus::Interpreter => 3,
        }
    }

    /// How much a status says: bad input over an interpreter failure over a disagreement.
    fn weight(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Disagree => 1,
            ExitStatus::Interpreter => 2,
            ExitStatus::BadInput => 3,
        }
    }

    /// `status` if `cond`, else `Ok`: `ExitStatus::BadInput.when(bad)`.
    pub fn when(self, cond: bool) -> ExitStatus {
        if cond { self } else { ExitStatus::Ok }
    }
}

/// Combining two statuses keeps the more telling one (the rule above).
impl BitOr for ExitStatus {
    type Output = ExitStatus;
    fn bitor(self, other: ExitStatus) -> ExitStatus {
        if other.weight() > self.weight() {
            other
        } else {
            self
        }
    }
}

impl BitOrAssign for ExitStatus {
    fn bitor_assign(&mut self, other: ExitStatus) {
        *self = *self | other;
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus::*;
    use super::*;

    #[test]
    fn the_most_telling_status_wins() {
        let all = [Ok, Disagree, BadInput, Interpreter];
        for a in all {
            assert_eq!(a | Ok, a);
            assert_eq!(Ok | a, a);
            assert_eq!(a | BadInput, BadInput);
        }
        assert_eq!(Disagree | Interpreter, Interpreter);
        assert_eq!(Interpreter | Disagree, Interpreter);
        let mut s = Ok;
        s |= Disagree.when(true);
        s |= BadInput.when(false);
        assert_eq!(s, Disagree);
        assert_eq!(
            all.map(ExitStatus::code),
            [0, 1, 2, 3],
            "the documented exit codes"
        );
    }
}
