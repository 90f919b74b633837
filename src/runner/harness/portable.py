from __future__ import print_function
import gc, weakref
import sys as _sys, os as _os

# ---- portable harness -----------------------------------------------------------------------
# Needs only what every implementation's gc module has: collect, enable, disable, garbage and
# get_objects. Labels live in side tables keyed by id(), with id(type(obj)) against a reused
# id. Events go to a list; `@N` marks the top-level statement of line N that runs next.
_id = id
_len = len
_range = range
_sorted = sorted
_xrange = range if _sys.version_info[0] >= 3 else xrange
_globals = globals
_list = list
_dict = dict
_tuple = tuple
_set = set
_frozenset = frozenset
_wrtype = weakref.ref
_ptypes = (weakref.ProxyType, weakref.CallableProxyType)
_isinstance = isinstance
_type = type  # never `o.__class__`: a proxy forwards it (and raises once its referent is dead)
_garbage0 = gc.garbage  # the collector's own list, even after `gc.garbage = []`
_ev = []
_evadd = _ev.append
_lab = {}       # id(obj) -> label
_labtype = {}   # id(obj) -> id(type(obj)) when it was labelled
_RETYPE = False  # the scenario reassigns __class__: an instance's label holds across it
_labseq = {}    # id(obj) -> creation sequence number
_count = {}     # name -> how many new objects have been bound to that name
_sq = [0]
_cls = {}       # id(scenario class) -> class name


def _new(name, o):
    # Label a new object bound to `name`: name, then name#2, name#3, ...
    n = _count.get(name, 0) + 1
    _count[name] = n
    _sq[0] += 1
    i = _id(o)
    _lab[i] = name if n == 1 else name + '#%d' % n
    _labtype[i] = _id(_type(o))
    _labseq[i] = _sq[0]


def _callback_ref(name, w, referent):
    # A weakref with a callback: labelled, and its referent's label printed (`=w a`), so that a
    # callback that never runs can be told from one whose referent survives.
    _new(name, w)
    _evadd('=' + _label(w) + ' ' + _label(referent))


def _stopped(e):
    # The scenario raised at top level (on CPython it does not): the rest of it does not run.
    _evadd('!' + e.__class__.__name__)


def _newref(name, w, before):
    # weakref.ref(x) without a callback may return a weakref that existed before.
    for b in before:
        if b is w:
            return
    _new(name, w)


# CPython before 3.11 gives every instance a real __dict__, created by the first store (later
# ones keep inline values that reading __dict__ would materialize).
_CPYTHON = '__pypy__' not in _sys.builtin_module_names
_OWN_DICTS = _CPYTHON and _sys.version_info < (3, 11)
_dicts313 = {}  # id(class) -> 1: `__slots__` with `__dict__` and a value slot, a real dict on 3.13


def _own_dict(o):
    # After an attribute store: o's __dict__ may be new, at the address of a freed labelled
    # object; an instance dict is unlabelled.
    if not (_OWN_DICTS or (_CPYTHON and _sys.version_info >= (3, 13)
                           and _id(_type(o)) in _dicts313)):
        return
    try:
        i = _id(o.__dict__)
    except AttributeError:
        return
    if i in _lab:
        del _lab[i]


def _same_type(i, t):
    # The label of object id i still names the object of type id t there now.
    return _labtype[i] == t or (_RETYPE and t in _cls and _labtype[i] in _cls)


def _label(o):
    i = _id(o)
    t = _type(o)
    if i in _lab and _same_type(i, _id(t)):
        return _lab[i]
    return '<' + t.__name__ + '>'


def _len_of(o):
    return _len(o)


def _collected(call, r):
    _evadd(call + ' -> ' + ('None' if r is None else '%d' % r))


def _observe():
    # gc.garbage (the module attribute, in list order), then the scenario class instances the
    # collector still has (reachable or not yet freed), in creation order.
    _evadd('gc.garbage: [' + ', '.join([_label(o) for o in gc.garbage]) + ']')
    found = {}
    objs = gc.get_objects()
    for o in objs:
        t = _type(o)
        if _id(t) in _cls:
            i = _id(o)
            if i in _lab and _same_type(i, _id(t)):
                found[_labseq[i]] = _lab[i]
    del objs[:]
    objs = o = t = None
    _walk(found)
    _evadd('alive: [' + ', '.join([found[k] for k in _sorted(found)]) + ']')


def _walk(found):
    # What gc.get_objects() cannot see (CPython before 3.8: instances of `__slots__ = ()`
    # classes are no GC objects): a walk from the scenario's globals and both garbage lists
    # through lists, dicts, tuples, sets, instances and weakref referents.
    g = _globals()
    todo = [gc.garbage, _garbage0] + [g[k] for k in g if k[:1] != '_']
    seen = {}
    while todo:
        o = todo.pop()
        i = _id(o)
        if i in seen:
            continue
        seen[i] = 1
        t = _type(o)
        if _id(t) in _cls:
            if i in _lab and _same_type(i, _id(t)):
                found[_labseq[i]] = _lab[i]
        elif t in _ptypes:
            # A proxy hands out no referent without forwarding to it: not followed.
            continue
        elif _isinstance(o, _wrtype):
            o = o()
            if o is not None:
                todo.append(o)
            continue
        elif t is not _list and t is not _dict and t is not _tuple and t is not _set and t is not _frozenset:
            continue
        todo.extend(gc.get_referents(o))
    o = t = g = None


def _drain():
    # After the end: collect until two collections in a row run no finalizer or callback (at
    # most 5000 times: PyPy finalizes a chain of objects with __del__ one link per collection),
    # so that what is finalized "eventually" has been.
    _evadd('@drain')
    k = quiet = 0
    while k < 5000 and quiet < 2:
        n = _len(_ev)
        gc.collect()
        k += 1
        quiet = quiet + 1 if _len(_ev) == n else 0
    _observe()


def _print_trace():
    out = _sys.stdout
    out.write('#gcconform-trace-begin\n')
    for e in _ev:
        out.write(e + '\n')
    out.write('#gcconform-trace-end\n')
    out.flush()
    _sys.stderr.flush()
    _os._exit(0)


def callback(wr):
    _evadd('callback ' + _label(wr))
