//! The one pseudo-random generator shared by `random_edges:` (model and generated Python) and
//! the benchmark heaps: a 64-bit linear congruential generator with Knuth's MMIX constants,
//! `x = (x * 6364136223846793005 + 1442695040888963407) mod 2^64`, and an index drawn from its
//! high bits, `(x >> 33) % n`.

/// The multiplier (Knuth, MMIX).
pub const MUL: u64 = 6364136223846793005;
/// The increment (Knuth, MMIX).
pub const INC: u64 = 1442695040888963407;

/// The next state.
pub fn next(x: u64) -> u64 {
    x.wrapping_mul(MUL).wrapping_add(INC)
}

/// The index drawn from a state, for a sequence of `n` elements (`n > 0`).
pub fn index(x: u64, n: u64) -> u64 {
    (x >> 33) % n
}

/// The Python expression of [`next`] applied to the variable `var` (an int on 2.7 and 3.x).
pub fn python_next(var: &str) -> String {
    format!("({var} * {MUL} + {INC}) & 0xFFFFFFFFFFFFFFFF")
}

/// The Python expression of [`index`] for the variable `var` and the length expression `n`.
pub fn python_index(var: &str, n: &str) -> String {
    format!("({var} >> 33) % {n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(next(0), INC);
        assert_eq!(next(1), MUL.wrapping_add(INC));
        assert_eq!(index(next(1), 10), (MUL.wrapping_add(INC) >> 33) % 10);
        assert_eq!(
            python_next("_ex"),
            "(_ex * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF"
        );
        assert_eq!(python_index("_ex", "_en"), "(_ex >> 33) % _en");
    }
}
