//! What a name, attribute, item or slot holds: [`Val`], and the ids objects are known by.

/// An object's index in the arena.
pub type Id = u32;

/// A value held by a name, attribute, item or slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val {
    None,
    Int(i64),
    Obj(Id),
}

impl Val {
    pub fn obj(self) -> Option<Id> {
        match self {
            Val::Obj(i) => Some(i),
            _ => None,
        }
    }
}
