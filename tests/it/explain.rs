//! `explain` narrates the model's own decisions: check the content, not just that it runs.

use crate::common::load;
use gcconform::explain::explain;
use gcconform::scenario;
use gcconform::version::Version;
use std::path::Path;

fn explains_uncollectable_cycle_in_27() {
    let text = explain(&load("seed/cycle_with_del"), Version::V2_7).unwrap();
    assert!(
        text.contains("with_del is uncollectable: it defines __del__ and is in the unreachable cycle with_del → b → with_del; 2.7 never finalizes cyclic trash"),
        "{text}"
    );
    assert!(
        text.contains("b is kept with the uncollectable objects"),
        "{text}"
    );
    assert!(
        text.contains("with_del → gc.garbage (uncollectable)"),
        "{text}"
    );
    assert!(
        text.contains("collection #1 returns 4: 0 collected + 4 uncollectable"),
        "{text}"
    );
    assert!(
        text.contains("b: held by gc.garbage → with_del → b"),
        "{text}"
    );
}

fn names_the_collectors_own_list_after_gc_garbage_is_rebound() {
    let text = explain(&load("seed/manual_cleanup"), Version::V2_7).unwrap();
    // Before `gc.garbage = []`, the module attribute holds it…
    assert!(
        text.contains("with_del: held by gc.garbage → with_del"),
        "{text}"
    );
    // …after it, the collector's own list does, and the narration says which.
    assert!(
        text.contains(
            "with_del: held by the collector's own garbage list (gc.garbage was rebound) → with_del"
        ),
        "{text}"
    );
}

fn explains_finalizer_breaking_its_cycle() {
    let sc = load("seed/proper_cleanup");
    let text = explain(&sc, Version::V3_7).unwrap();
    assert!(
        text.contains("__del__ with_del (called by collection #1)"),
        "{text}"
    );
    assert!(
        text.contains("b freed by reference counting while collection #1 ran __del__ with_del: the finalizer broke the cycle"),
        "{text}"
    );
    assert!(
        text.contains("collection #1 returns 0: 0 collected + 0 uncollectable"),
        "{text}"
    );
    // 3.6 counted the objects before the finalizer freed them.
    let text = explain(&sc, Version::V3_6).unwrap();
    assert!(
        text.contains("collection #1 returns 4: 4 collected + 0 uncollectable"),
        "{text}"
    );
}

fn explains_refcount_frees_and_resurrection() {
    let text = explain(&load("seed/no_cycle"), Version::V3_12).unwrap();
    assert!(
        text.contains("with_del freed by reference counting: its last reference went at line"),
        "{text}"
    );
    let text = explain(&load("resurrection/resurrect_global"), Version::V3_9).unwrap();
    assert!(
        text.contains("resurrected (reachable again after the finalizers ran)"),
        "{text}"
    );
    assert!(text.contains("r: reachable from name saved"), "{text}");
    let text = explain(&load("resurrection/resurrect_global"), Version::V3_7).unwrap();
    assert!(text.contains("revives the whole unreachable set"), "{text}");
}

fn explains_weakref_callbacks() {
    let text = explain(&load("weakrefs/callback_external"), Version::V3_12).unwrap();
    assert!(
        text.contains("callback w: collection #1 cleared the weakref to its trash referent (handle_weakrefs, before any __del__)"),
        "{text}"
    );
    // 2.7 clears weakrefs before __del__ in refcount deallocation; 3.x after.
    let text = explain(&load("weakrefs/refcount_order"), Version::V2_7).unwrap();
    let cb = text
        .find("callback w: its referent a was freed by reference counting")
        .expect(&text);
    let del = text
        .find("__del__ a (its reference count reached zero)")
        .expect(&text);
    assert!(cb < del, "{text}");
    let text = explain(&load("weakrefs/refcount_order"), Version::V3_12).unwrap();
    let cb = text
        .find("callback w: its referent a was freed")
        .expect(&text);
    let del = text
        .find("__del__ a (its reference count reached zero)")
        .expect(&text);
    assert!(del < cb, "{text}");
}

/// Bound methods are told by what they are (`bound method A.handle of a`): in the unreachable
/// set, when freed (and why), and in the alive list with the path that keeps them.
fn explains_bound_methods() {
    let text = "classes:\n  A:\n    methods:\n      handle: pass\nsteps:\n  - a = A()\n  - a.cb = a.handle\n  - bm1 = a.handle\n  - l1 = [a.handle]\n  - del a\n  - gc.collect()\n  - bm1 = None\n  - l1 = None\n  - gc.collect()\n";
    let sc = scenario::parse_scenario(Path::new("scenarios/t/methods.yaml"), text).unwrap();
    let text = explain(&sc, Version::V3_12).unwrap();
    for line in [
        // Alive after the first collection: the instance through the named bound method, each
        // bound method with the path that holds it.
        "    a: reachable from name bm1 → a",
        "    bm1 (bound method A.handle of a): reachable from name bm1",
        "    bound method A.handle of a: reachable from name l1 → bound method A.handle of a",
        // The second collection finds the observer cycle a ⇄ a.cb.
        "    unreachable: a, bound method A.handle of a",
        "    bound method A.handle of a freed by collection #2: clearing a dropped its last reference",
        // The named one went when its name was rebound.
        "    bm1 freed by reference counting",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
}

/// Closures: the cell a call made, named by its variable and function, the function it holds,
/// what freed each, and the function the module keeps.
fn explains_closures() {
    let text = "steps:\n  - def make():\n      - def f(): return f\n      - return f\n  - g = make()\n  - del g\n  - gc.collect()\n";
    let sc = scenario::parse_scenario(Path::new("scenarios/t/closure.yaml"), text).unwrap();
    let text = explain(&sc, Version::V3_12).unwrap();
    for line in [
        "    unreachable: cell for f in make, f",
        "    f freed by collection #1: clearing cell for f in make dropped its last reference",
        "    cell for f in make freed by collection #1: cyclic trash, cleared (tp_clear)",
        "  collection #1 returns 3: 3 collected + 0 uncollectable",
        "    make: reachable from name make",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
}

/// Static and class methods: the decorators' objects (and their 3.10+ dicts) are named in the
/// class's unreachable parts, a class method's bound method by the class it is bound to; a
/// class bound to a name is alive through it.
fn explains_static_and_class_methods() {
    let text = explain(
        &load("classes/observer_with_static_and_class_methods"),
        Version::V3_10,
    )
    .unwrap();
    for line in [
        "    bound method Obs.create of class Obs freed by reference counting: its last reference went at line 30 (`del c`)",
        "staticmethod Obs.helper, classmethod Obs.create,",
        "function Obs.helper, Obs.helper.__dict__, function Obs.create, Obs.create.__dict__, bound method Obs.create of class Obs",
        "  collection #2 returns 14: 14 collected + 0 uncollectable",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
    // 3.6-3.9: no dicts of the decorators.
    let text = explain(
        &load("classes/observer_with_static_and_class_methods"),
        Version::V3_9,
    )
    .unwrap();
    assert!(!text.contains("Obs.helper.__dict__"), "{text}");
    assert!(
        text.contains("  collection #2 returns 12: 12 collected"),
        "{text}"
    );
    let text = explain(&load("classes/class_values_in_containers"), Version::V3_12).unwrap();
    assert!(
        text.contains("    class B: reachable from name c"),
        "{text}"
    );
}

/// An inherited `__del__` is named with the class that defines it.
fn explains_inherited_finalizer() {
    let text = explain(&load("classes/del_on_base_only"), Version::V2_7).unwrap();
    assert!(
        text.contains("a is uncollectable: its class Derived inherits __del__ from Base and is in the unreachable cycle a → b → a"),
        "{text}"
    );
    // 3.6+: the base's __del__ runs for the subclass's instances.
    let text = explain(&load("classes/del_on_base_only"), Version::V3_6).unwrap();
    assert!(text.contains("__del__ a"), "{text}");
}

/// A kept exception: the chain that keeps a returned call's frame alive (the instance, the
/// exception, its traceback, the frame), the same objects named in the unreachable set once
/// the instance is dropped, and how each went.
fn explains_kept_exceptions() {
    let text = "classes:\n  E:\n    bases: [Exception]\n  A:\n    methods:\n      run:\n        - try:\n            - raise E()\n          except E as e:\n            - self.error = e\nsteps:\n  - a = A()\n  - a.run()\n  - gc.collect()\n  - del a\n  - gc.collect()\n";
    let sc = scenario::parse_scenario(Path::new("scenarios/t/kept.yaml"), text).unwrap();
    let text = explain(&sc, Version::V3_12).unwrap();
    for line in [
        "    frame of A.run: reachable from name a → <E> → traceback in A.run → frame of A.run",
        "    unreachable: a, <E>, traceback in A.run, frame of A.run",
        "    frame of A.run freed by collection #2: clearing a dropped its last reference",
        "  collection #2 returns 4: 4 collected + 0 uncollectable",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
    // 2.7's exception holds no traceback: the frame died with the call.
    let text = explain(&sc, Version::V2_7).unwrap();
    assert!(!text.contains("frame of A.run"), "{text}");
}

crate::harness::tests! {
    explains_kept_exceptions,
    explains_static_and_class_methods,
    explains_inherited_finalizer,
    explains_closures,
    explains_uncollectable_cycle_in_27,
    explains_finalizer_breaking_its_cycle,
    names_the_collectors_own_list_after_gc_garbage_is_rebound,
    explains_refcount_frees_and_resurrection,
    explains_weakref_callbacks,
    explains_bound_methods,
}
