//! The code objects of the Python functions the model calls, by id: each `__del__` is its
//! class's index (counting up from 0); methods from [`method_code`]; the callbacks count down
//! from `usize::MAX`. Frames (≤3.10 zombie frames, `co_zombieframe`) are kept per code object.

/// The code id (as a frame object records it) of the harness's `callback`: one code
/// object, as each `__del__` is one (class ids count up from 0).
pub const BUILTIN_CALLBACK_CODE: usize = usize::MAX;

/// The code object of the harness's `gc.callbacks` entry (`record: collections`), for its
/// zombie frame (≤3.10).
pub const GC_CALLBACK_CODE: usize = usize::MAX - 1;

/// The code id of the `callbacks:` function with this index: each is a code object of its own,
/// with its own zombie frame (≤3.10).
pub const fn callback_code(index: usize) -> usize {
    usize::MAX - 2 - index
}

/// The code ids of methods (`methods:` of a class) start here, far from both ends.
const METHOD_CODE_BASE: usize = 1 << 32;

/// The code id of method `method` of class `class`: each method is a code object of its own,
/// with its own zombie frame (≤3.10).
pub const fn method_code(class: usize, method: usize) -> usize {
    METHOD_CODE_BASE + (class << 16) + method
}

/// The code ids of class bodies start here.
const CLASS_BODY_CODE_BASE: usize = 1 << 40;

/// The code id of the body of class `class`'s statement (its code object, with its own zombie
/// frame ≤3.10).
pub const fn class_body_code(class: usize) -> usize {
    CLASS_BODY_CODE_BASE + class
}

/// The code ids of `def`s start here.
const FUNCTION_CODE_BASE: usize = 1 << 48;

/// The code id of the function of `def` number `def` (its code object, with its own zombie
/// frame ≤3.10).
pub const fn function_code(def: usize) -> usize {
    FUNCTION_CODE_BASE + def
}

/// The `callbacks:` index of a code id that [`callback_code`] made, `None` for the harness's.
pub const fn callback_index(code: usize) -> Option<usize> {
    if code >= GC_CALLBACK_CODE {
        None
    } else {
        Some(usize::MAX - 2 - code)
    }
}
