//! Inheritance among scenario classes, decided as `type_new` (Objects/typeobject.c) decides it:
//!
//! - the method resolution order: `mro_implementation`'s C3 merge (`pmerge`), with its errors;
//! - the instance layout: `best_base`/`solid_base` choose the base whose layout a class extends
//!   (`tp_base`); `type_new`'s `__slots__` rules add `__dict__` and `__weakref__` (`may_add_dict`,
//!   `may_add_weak`, and the secondary bases that may provide them); `subtype_traverse`,
//!   `subtype_clear` and `subtype_dealloc` walk the `tp_base` chain from the class itself,
//!   visiting each class's own members (sorted, as `type_new` sorts `__slots__`), so a layout's
//!   slots are listed in that order;
//! - what the MRO finds (`_PyType_Lookup`): a method, and the `__del__` that `slot_tp_finalize`
//!   (3.4+) or `slot_tp_del` (2.7) calls.
//!
//! Every function here takes the scenario's classes and a class index; [`check`] is the loader's
//! (it reports what CPython would refuse with a `TypeError`), the others assume a checked
//! scenario and are computed when asked (the shrinker edits classes).

use super::ast::{ClassDef, Scenario};

/// What `type_new` makes of a class's instances.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// The value slots (member descriptors), in the order `subtype_traverse` visits them: the
    /// class's own (sorted), then its `tp_base`'s own, and so on up the chain. A name shadowing a
    /// base's slot appears twice; attribute access finds the first.
    pub slots: Vec<String>,
    /// Instances carry a `__dict__` (`tp_dictoffset != 0`).
    pub has_dict: bool,
    /// Instances can be weakly referenced (`tp_weaklistoffset != 0`).
    pub weakrefable: bool,
    /// Some class on the `tp_base` chain adds an instance variable to `object` (slots, a dict
    /// or a weakref list): before 3.8 only such classes are GC types ("Enable GC unless this
    /// class is not adding new instance variables and the base class did not use GC").
    pub adds_variables: bool,
    /// `tp_base`: the base whose layout this one extends (`best_base`); `None` for `object`.
    pub base: Option<usize>,
    /// The class itself adds the `__dict__` (`type_new`'s `add_dict`: its type gets a
    /// `__dict__` getset descriptor).
    pub adds_dict: bool,
    /// The class itself adds the weakref list (`add_weak`: a `__weakref__` getset).
    pub adds_weakref: bool,
}

/// A class's own value slots (not `__dict__`/`__weakref__`), sorted as `type_new` sorts them.
pub fn own_value_slots(c: &ClassDef) -> Vec<String> {
    let mut v: Vec<String> = c
        .slots
        .iter()
        .flatten()
        .filter(|n| *n != "__dict__" && *n != "__weakref__")
        .cloned()
        .collect();
    v.sort();
    v
}

fn lists(c: &ClassDef, name: &str) -> bool {
    c.slots
        .as_ref()
        .is_some_and(|s| s.iter().any(|n| n == name))
}

/// The indices of `c`'s bases (names no class defines are skipped: [`check`] reports them).
fn base_indices(classes: &[ClassDef], c: &ClassDef) -> Vec<usize> {
    c.bases
        .iter()
        .filter_map(|b| classes.iter().position(|k| &k.name == b))
        .collect()
}

/// `mro_implementation`: the class, then the C3 merge of its bases' MROs and the list of its
/// bases; `None` where no consistent order exists. `object` is left out (it ends every MRO).
pub fn mro(classes: &[ClassDef], i: usize) -> Option<Vec<usize>> {
    mro_depth(classes, i, 0)
}

fn mro_depth(classes: &[ClassDef], i: usize, depth: usize) -> Option<Vec<usize>> {
    if depth > classes.len() {
        return None; // a cycle among bases, which the checker refuses
    }
    let bases = base_indices(classes, &classes[i]);
    let mut seqs: Vec<Vec<usize>> = Vec::with_capacity(bases.len() + 1);
    for &b in &bases {
        seqs.push(mro_depth(classes, b, depth + 1)?);
    }
    seqs.push(bases);
    let mut out = vec![i];
    // pmerge: take the first head that is in no other list's tail.
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Some(out);
        }
        let head = seqs
            .iter()
            .map(|s| s[0])
            .find(|&h| !seqs.iter().any(|s| s[1..].contains(&h)))?;
        out.push(head);
        for s in &mut seqs {
            if s[0] == head {
                s.remove(0);
            }
        }
    }
}

/// `solid_base`: the most derived class on `i`'s `tp_base` chain whose layout adds value slots
/// (`extra_ivars`: a `__dict__` or `__weakref__` added at the end does not count); `None` is
/// `object`.
fn solid_base(classes: &[ClassDef], i: usize) -> Option<usize> {
    if !own_value_slots(&classes[i]).is_empty() {
        return Some(i);
    }
    best_base(classes, i)
        .ok()
        .flatten()
        .and_then(|b| solid_base(classes, b))
}

/// Whether `a` is `b` or a subclass of it (`PyType_IsSubtype`, through the MRO).
fn is_subtype(classes: &[ClassDef], a: Option<usize>, b: Option<usize>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => mro(classes, a).is_some_and(|m| m.contains(&b)),
    }
}

/// `best_base`: of the bases, the one whose solid base is the most derived; an error when two
/// solid bases are unrelated ("multiple bases have instance lay-out conflict").
fn best_base(classes: &[ClassDef], i: usize) -> Result<Option<usize>, String> {
    let mut base: Option<usize> = None;
    let mut winner: Option<usize> = None;
    for (n, b) in base_indices(classes, &classes[i]).into_iter().enumerate() {
        let candidate = solid_base(classes, b);
        if n == 0 {
            winner = candidate;
            base = Some(b);
        } else if is_subtype(classes, winner, candidate) {
            // the winner already extends this layout
        } else if is_subtype(classes, candidate, winner) {
            winner = candidate;
            base = Some(b);
        } else {
            return Err("multiple bases have instance lay-out conflict".into());
        }
    }
    Ok(base)
}

/// The class's instance layout (`type_new`): see [`Layout`].
pub fn layout(classes: &[ClassDef], i: usize) -> Layout {
    layout_checked(classes, i).unwrap_or_default()
}

fn layout_checked(classes: &[ClassDef], i: usize) -> Result<Layout, String> {
    let c = &classes[i];
    let base = best_base(classes, i)?;
    let b = match base {
        Some(b) => layout_checked(classes, b)?,
        None => Layout::default(),
    };
    let may_add_dict = !b.has_dict;
    let may_add_weak = !b.weakrefable;
    let (mut add_dict, mut add_weak) = (false, false);
    match &c.slots {
        None => {
            add_dict = may_add_dict;
            add_weak = may_add_weak;
        }
        Some(_) => {
            if lists(c, "__dict__") {
                if !may_add_dict {
                    return Err("__dict__ slot disallowed: we already got one".into());
                }
                add_dict = true;
            }
            if lists(c, "__weakref__") {
                if !may_add_weak {
                    return Err(
                        "__weakref__ slot disallowed: either we already got one, or the base type has a nonzero itemsize".into(),
                    );
                }
                add_weak = true;
            }
            // "Secondary bases may provide weakrefs or dict".
            let bases = base_indices(classes, c);
            if bases.len() > 1 && ((may_add_dict && !add_dict) || (may_add_weak && !add_weak)) {
                for k in bases.into_iter().filter(|&k| Some(k) != base) {
                    let l = layout_checked(classes, k)?;
                    add_dict |= may_add_dict && l.has_dict;
                    add_weak |= may_add_weak && l.weakrefable;
                }
            }
        }
    }
    let own = own_value_slots(c);
    let adds = !own.is_empty() || add_dict || add_weak;
    let mut slots = own;
    slots.extend(b.slots);
    Ok(Layout {
        slots,
        has_dict: b.has_dict || add_dict,
        weakrefable: b.weakrefable || add_weak,
        adds_variables: b.adds_variables || adds,
        base,
        adds_dict: add_dict,
        adds_weakref: add_weak,
    })
}

/// The loader's check of class `i` (its bases already checked): every base names an earlier
/// class, none twice, a consistent MRO, a layout CPython accepts. Returns the first problem as
/// CPython words it (`TypeError` texts) or as the language does, with the index in
/// [`ClassDef::bases`] of the base it is about, if one.
pub fn check(classes: &[ClassDef], i: usize) -> Result<(), (Option<usize>, String)> {
    check_bases(classes, i).map_err(|(n, m)| (Some(n), m))?;
    if mro(classes, i).is_none() {
        return Err((
            None,
            format!(
                "Cannot create a consistent method resolution order (MRO) for bases {}",
                classes[i].bases.join(", ")
            ),
        ));
    }
    layout_checked(classes, i)
        .map(|_| ())
        .map_err(|m| (None, m))
}

fn check_bases(classes: &[ClassDef], i: usize) -> Result<(), (usize, String)> {
    let c = &classes[i];
    for (n, b) in c.bases.iter().enumerate() {
        match classes.iter().position(|k| &k.name == b) {
            Some(k) if k < i => {}
            Some(k) if k == i => return Err((n, format!("class `{b}` cannot be its own base"))),
            Some(_) => {
                return Err((
                    n,
                    format!(
                        "base `{b}` of `{}` is defined after it: a class statement needs its bases to exist, so define `{b}` first",
                        c.name
                    ),
                ));
            }
            None => {
                let names: Vec<&str> = classes[..i].iter().map(|k| k.name.as_str()).collect();
                let hint = match crate::util::did_you_mean(b, &names) {
                    Some(n) => format!(" (did you mean `{n}`?)"),
                    None if names.is_empty() => " (no class is defined before it)".to_string(),
                    None => format!(" (classes defined before it: {})", names.join(", ")),
                };
                return Err((n, format!("unknown base class `{b}` of `{}`{hint}", c.name)));
            }
        }
        if c.bases[..n].contains(b) {
            return Err((n, format!("duplicate base class {b}")));
        }
    }
    Ok(())
}

/// One type's fields that `compatible_for_assignment` compares, in pointer-sized units above
/// `object`'s header (`None` for `object` itself).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeFields {
    basicsize: usize,
    /// `tp_dictoffset`: `None` without a dict, `Some(None)` managed (3.11+), else the offset.
    dict: Option<Option<usize>>,
    weak: Option<Option<usize>>,
    gc: bool,
    /// `ht_slots`: the value slots the class declares itself, sorted (`None` without
    /// `__slots__`).
    slots: Option<Vec<String>>,
}

/// `type_new`'s fields for class `i` under `t` (slots, then `__dict__`, then `__weakref__`
/// after the base's fields; managed ones outside `tp_basicsize`).
fn fields(classes: &[ClassDef], i: Option<usize>, t: crate::version::TypeLayout) -> TypeFields {
    let Some(i) = i else {
        return TypeFields {
            basicsize: 0,
            dict: None,
            weak: None,
            gc: false,
            slots: None,
        };
    };
    let l = layout(classes, i);
    let b = fields(classes, l.base, t);
    let own = own_value_slots(&classes[i]);
    let mut size = b.basicsize + own.len();
    let dict = added_field(b.dict, l.has_dict, t.managed_dict, &mut size);
    let weak = added_field(b.weak, l.weakrefable, t.managed_weakref, &mut size);
    TypeFields {
        basicsize: size,
        dict,
        weak,
        gc: t.heap_types_always_gc || l.adds_variables,
        slots: classes[i].slots.as_ref().map(|_| own),
    }
}

/// The offset of a `__dict__` or weakref-list field: the base's if it has one, none if the
/// layout has none, managed (outside `tp_basicsize`), or a new field at the end (`size` grows).
fn added_field(
    inherited: Option<Option<usize>>,
    has: bool,
    managed: bool,
    size: &mut usize,
) -> Option<Option<usize>> {
    match (inherited, has) {
        (Some(f), _) => Some(f),
        (None, false) => None,
        (None, true) if managed => Some(None),
        (None, true) => {
            *size += 1;
            Some(Some(*size - 1))
        }
    }
}

/// `object_set_class` → `compatible_for_assignment(oldto, newto, "__class__")` for instances of
/// class `old` given class `new`, on a version with layout rules `t`: `Err` is CPython's
/// `TypeError` text.
pub fn compatible_for_assignment(
    classes: &[ClassDef],
    old: usize,
    new: usize,
    t: crate::version::TypeLayout,
) -> Result<(), String> {
    let (on, nn) = (&classes[old].name, &classes[new].name);
    let f = |k: Option<usize>| fields(classes, k, t);
    let parent = |k: Option<usize>| k.and_then(|k| layout(classes, k).base);
    let (fo, fnew) = (f(Some(old)), f(Some(new)));
    if fo.gc != fnew.gc {
        // tp_free: PyObject_GC_Del against PyObject_Del
        return Err(format!(
            "__class__ assignment: '{nn}' deallocator differs from '{on}'"
        ));
    }
    // compatible_with_tp_base: the child adds nothing to its base.
    let compatible_with_base = |k: Option<usize>| -> bool {
        let Some(_) = k else { return false };
        let (c, p) = (f(k), f(parent(k)));
        c.basicsize == p.basicsize && c.dict == p.dict && c.weak == p.weak && c.gc == p.gc
    };
    let root = |mut k: Option<usize>| {
        while compatible_with_base(k) {
            k = parent(k);
        }
        k
    };
    let (rn, ro) = (root(Some(new)), root(Some(old)));
    let differs = || format!("__class__ assignment: '{nn}' object layout differs from '{on}'");
    if rn != ro {
        let (a, b) = (f(rn), f(ro));
        let same_base = rn.is_some() && ro.is_some() && parent(rn) == parent(ro);
        if !same_base || !same_slots_added(&a, &b, &f(parent(rn))) {
            return Err(differs());
        }
    }
    // 3.11+: "The above does not check for managed __dicts__".
    if t.managed_dict && (fo.dict == Some(None)) != (fnew.dict == Some(None)) {
        return Err(differs());
    }
    Ok(())
}

/// `same_slots_added(a, b)` for two types with the same base.
fn same_slots_added(a: &TypeFields, b: &TypeFields, base: &TypeFields) -> bool {
    let mut size = base.basicsize;
    if a.dict == Some(Some(size)) && b.dict == Some(Some(size)) {
        size += 1;
    }
    if a.weak == Some(Some(size)) && b.weak == Some(Some(size)) {
        size += 1;
    }
    if let (Some(sa), Some(sb)) = (&a.slots, &b.slots) {
        if sa != sb {
            return false;
        }
        size += sa.len();
    }
    size == a.basicsize && size == b.basicsize
}

/// `_PyType_Lookup` of a method: the class on `i`'s MRO that defines `name`, and the method's
/// index there.
pub fn find_method(classes: &[ClassDef], i: usize, name: &str) -> Option<(usize, usize)> {
    mro(classes, i)?
        .into_iter()
        .find_map(|k| classes[k].method_index(name).map(|m| (k, m)))
}

/// The names of every method instances of class `i` have: its own, then its bases' (MRO
/// order, each once).
pub fn method_names(classes: &[ClassDef], i: usize) -> Vec<&str> {
    let mut v: Vec<&str> = Vec::new();
    for k in mro(classes, i).unwrap_or_default() {
        for m in &classes[k].methods {
            if !v.contains(&m.name.as_str()) {
                v.push(&m.name);
            }
        }
    }
    v
}

/// The class whose `__del__` instances of `i` run (the first on the MRO with one): the
/// `__del__` that `slot_tp_finalize` (3.4+) and `slot_tp_del` (2.7) look up, and what makes
/// `has_finalizer` (2.7: `tp_del != NULL`) true.
pub fn finalizer(classes: &[ClassDef], i: usize) -> Option<usize> {
    mro(classes, i)?
        .into_iter()
        .find(|&k| classes[k].del.is_some())
}

/// The scenario's view of its classes' hierarchy (kept here, beside the rules, so that the
/// AST does not depend on them).
impl Scenario {
    /// The instance layout of class `i` ([`layout`]).
    pub fn layout(&self, i: usize) -> Layout {
        layout(&self.classes, i)
    }
    /// The instance layout of class `name` (`object`'s for an unknown name).
    pub fn layout_of(&self, name: &str) -> Layout {
        self.class_index(name)
            .map(|i| self.layout(i))
            .unwrap_or_default()
    }
    /// The class whose `__del__` instances of class `i` run ([`finalizer`]).
    pub fn finalizer(&self, i: usize) -> Option<usize> {
        finalizer(&self.classes, i)
    }
    /// The names of every method instances of class `i` have (its own, then its bases').
    pub fn method_names(&self, i: usize) -> Vec<&str> {
        method_names(&self.classes, i)
    }
    /// Method `name` of class `i`, found on its MRO: (defining class, index there).
    pub fn find_method(&self, i: usize, name: &str) -> Option<(usize, usize)> {
        find_method(&self.classes, i, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Pos;

    fn class(name: &str, bases: &[&str], slots: Option<&[&str]>) -> ClassDef {
        ClassDef {
            name: name.into(),
            bases: bases.iter().map(|s| s.to_string()).collect(),
            del: None,
            del_scope: Default::default(),
            methods: Vec::new(),
            slots: slots.map(|s| s.iter().map(|n| n.to_string()).collect()),
            pos: Pos { line: 1, col: 1 },
            origin: Default::default(),
            exception: false,
        }
    }

    #[test]
    fn c3_orders_a_diamond_and_refuses_an_inconsistent_order() {
        let cs = vec![
            class("O", &[], None),
            class("A", &["O"], None),
            class("B", &["O"], None),
            class("D", &["A", "B"], None),
            class("X", &["O", "A"], None),
        ];
        assert_eq!(mro(&cs, 3), Some(vec![3, 1, 2, 0]));
        assert_eq!(mro(&cs, 4), None);
        assert!(
            check(&cs, 4)
                .unwrap_err()
                .1
                .contains("consistent method resolution order")
        );
    }

    #[test]
    fn layouts_follow_type_new() {
        let cs = vec![
            class("S", &[], Some(&["x"])),
            class("D", &["S"], None),
            class("T", &["S"], Some(&["y", "a"])),
            class("E", &[], Some(&[])),
            class("F", &["E"], Some(&[])),
            class("P", &[], None),
            class("M", &["E", "P"], Some(&[])),
            class("U", &[], Some(&["z"])),
            class("Bad", &["S", "U"], None),
            class("Dd", &["P"], Some(&["__dict__"])),
        ];
        let s = layout(&cs, 0);
        assert_eq!(
            (s.slots.clone(), s.has_dict, s.weakrefable),
            (vec!["x".to_string()], false, false)
        );
        let d = layout(&cs, 1);
        assert_eq!(
            (d.slots.clone(), d.has_dict, d.weakrefable, d.base),
            (vec!["x".to_string()], true, true, Some(0))
        );
        // the class's own slots, sorted, before its base's
        assert_eq!(layout(&cs, 2).slots, vec!["a", "y", "x"]);
        assert!(!layout(&cs, 4).adds_variables);
        // a secondary base provides the dict and weakref list of a class with __slots__
        let m = layout(&cs, 6);
        assert_eq!((m.has_dict, m.weakrefable, m.base), (true, true, Some(3)));
        assert_eq!(
            check(&cs, 8).unwrap_err().1,
            "multiple bases have instance lay-out conflict"
        );
        assert!(
            check(&cs, 9)
                .unwrap_err()
                .1
                .starts_with("__dict__ slot disallowed")
        );
    }
}
