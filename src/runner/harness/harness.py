from __future__ import print_function
import gc, weakref
import sys as _sys, os as _os
if not hasattr(gc, 'get_count'):
    _sys.stderr.write('gcconform: this interpreter has no gc.get_count(); the program needs '
                      'the gc module of CPython (2.7, 3.6+)\n')
    _sys.stderr.flush()
    _os._exit(3)

# ---- harness --------------------------------------------------------------------------------
# Every harness name starts with `_` (scenario names cannot); builtins are aliased because
# scenario names may shadow them. Between statements the harness calls no Python function,
# allocates no GC object that survives and keeps no reference to a scenario object: labels
# live in side tables keyed by id(), with id(type(obj)) to guard against a reused id.
_id = id
_type = type
_iter = iter
_globals = globals
_list = list
_dict = dict
_tuple = tuple
_set = set
_frozenset = frozenset
_range = range
_len = len
# Loops over scenario steps: a range iterator is no GC object (2.7's range() builds a list).
_xrange = range if _sys.version_info[0] >= 3 else xrange
_PY3 = _sys.version_info[0] >= 3
_V311 = _sys.version_info >= (3, 11)
_wrtype = weakref.ref
_ev = {}                 # the trace: event number -> text
_evn = [0]               # how many events so far (an event: _ev[_evn[0]] = text; _evn[0] += 1)
_lab = {}                # id(obj) -> label
_labtype = {}            # id(obj) -> id(type(obj)) when it was labelled
_RETYPE = False          # `x.__class__ = B` in the scenario: a label of a scenario instance
                         # holds whichever scenario class it has now
_PROXIES = False         # the scenario makes `weakref.proxy` objects (harness/proxy.py): their
                         # `__class__` is their referent's (read through them), or raises
                         # ReferenceError once it is dead, so their type is read by `_tp`
_labseq = {}             # id(obj) -> creation sequence number
_count = {}              # name -> how many new objects have been bound to that name
_sq = [0]                # creation sequence number of the last new object
_heldn = {}              # name -> label number reserved for an object labelled later
_helds = {}              # name -> its creation sequence number
_cls = {}                # id(scenario class) -> class name
_rcls = {}               # id(scenario class) -> 1 where __class__ assignment keeps labels
_dictclasses = {}        # id(scenario class whose instances have a __dict__) -> 1
_OWN_DICTS = _sys.version_info < (3, 11)
_garbage0 = gc.garbage   # the collector's own list, even after `gc.garbage = []`
_kept = []               # what observations allocated, kept (emptied) instead of freed
_keep = _kept.append
_pool = []               # freeing one of these lowers the gen-0 count by one
_pool_append = _pool.append
_pool_pop = _pool.pop
_spare = []              # 3-tuples that observations free for their count readings to reuse
_spare_append = _spare.append
_spare_pop = _spare.pop
_spare1 = []             # a 1-tuple, likewise for the argument tuples of a deep walk's calls
_fzs = [0]               # spares the scenario's last gc.freeze() froze that are still alive
_spare1_append = _spare1.append
_spare1_pop = _spare1.pop


def _count0_reader():
    # 2.7-3.7: a ctypes int over generation 0's count (`generations[0].count` in
    # Modules/gcmodule.c), for the observer's count readings: gc.get_count() would take its
    # 3-tuple from the tuple free list, and the observer may free nothing there (pending
    # trashcan work), so a tuple it took stayed taken and the scenario's next 3-tuple was
    # fresh where the program without the harness reused it (fuzz seed 75 #278). Reading
    # `.value` allocates no GC object. Found from `_PyGC_generation0` (2.7, 3.6) or, on 3.7, by
    # its pointer to itself inside `_PyRuntime`, checked against the thresholds, which the
    # search sets to unusual values first. None where ctypes is missing or nothing matches:
    # then the observer falls back on gc.get_count().
    if _sys.version_info >= (3, 8):
        return None
    try:
        import ctypes
    except ImportError:
        return None
    old = gc.get_threshold()
    gc.set_threshold(7001, 17, 19)
    th = gc.get_threshold()
    api = ctypes.pythonapi
    cint = ctypes.c_int.from_address

    def check(p):
        # (sizeof PyGC_Head, sizeof struct gc_generation): long double alignment on 2.7 and
        # 3.6 x86-64, double on 3.7.
        for h, g in ((32, 48), (32, 40), (24, 32), (16, 24)):
            if (cint(p + h).value == th[0] and cint(p + g + h).value == th[1]
                    and cint(p + 2 * g + h).value == th[2]):
                return p + h + 4
        return None

    at = None
    try:
        try:
            at = check(ctypes.c_void_p.in_dll(api, '_PyGC_generation0').value)
        except ValueError:
            base = ctypes.addressof(ctypes.c_char.in_dll(api, '_PyRuntime'))
            ps = ctypes.sizeof(ctypes.c_void_p)
            for off in _range(0, 4096, ps):
                p = ctypes.c_size_t.from_address(base + off).value
                if base <= p < base + 8192:
                    at = check(p)
                    if at is not None:
                        break
    except (ValueError, AttributeError):
        at = None
    gc.set_threshold(*old)
    if at is None:
        return None
    r = cint(at)
    if r.value != gc.get_count()[0]:
        return None
    return r


_cnt0 = _count0_reader()  # None: read counts with gc.get_count()


def _trash_reader():
    # 2.7-3.7 (with _cnt0): a ctypes pointer over the thread state's `trash_delete_later`
    # (Include/pystate.h: `thread_id`, `trash_delete_nesting`, `trash_delete_later`, in that
    # order), found after the field that holds the thread's id: NULL when no deallocation is
    # pending, so that freeing a list or a tuple cannot run pending trashcan work. None where
    # it cannot be found (then the observer frees nothing).
    if _cnt0 is None:
        return None
    import ctypes
    try:
        import thread as th
    except ImportError:
        import _thread as th
    api = ctypes.pythonapi
    api.PyThreadState_Get.restype = ctypes.c_void_p
    ts = api.PyThreadState_Get()
    ident = th.get_ident()
    for off in _range(0, 512, 8):
        if (ctypes.c_ulong.from_address(ts + off).value == ident
                and ctypes.c_int.from_address(ts + off + 8).value == 0
                and ctypes.c_void_p.from_address(ts + off + 16).value is None):
            return ctypes.c_void_p.from_address(ts + off + 16)
    return None


_trash = _trash_reader()  # None: pending trashcan work cannot be ruled out
_byseq = {}              # observation scratch: creation seq -> label of a live instance
_byseq_clear = _byseq.clear
_alive = []              # observation scratch: sorted creation seqs
_alive_append = _alive.append
_alive_sort = _alive.sort
_seen = {}               # observation scratch (deep walk): ids visited
_seen_clear = _seen.clear
_todo = []               # observation scratch (deep walk): objects to visit
_todo_append = _todo.append
_todo_extend = _todo.extend
_todo_pop = _todo.pop
_walk_from = []          # warm-up only: the objects observations look at instead of all


def _started(g):
    # Run a generator to its first `yield`; calling the result resumes it with a value.
    g.send(None)
    return g.send


def _started_noarg(g):
    g.send(None)
    if _sys.version_info[0] == 2:
        return g.next
    return g.__next__


def _labeller(name):
    # `_new_<name>(obj)`: label a new object bound to `name`: name, then name#2, name#3, ...
    o = None
    while 1:
        o = yield
        _count[name] += 1
        _sq[0] += 1
        n = _count[name]
        i = _id(o)
        if n == 1:
            _lab[i] = name
        else:
            _lab[i] = name + '#%d' % n
        _labtype[i] = _id(((_tp(o) if _PROXIES else None) or o.__class__))
        _labseq[i] = _sq[0]
        o = None


def _binder(name):
    # `_bind_<name>(obj)`: label obj with the number and sequence reserved for `name`.
    o = None
    while 1:
        o = yield
        n = _heldn[name]
        i = _id(o)
        if n == 1:
            _lab[i] = name
        else:
            _lab[i] = name + '#%d' % n
        _labtype[i] = _id(((_tp(o) if _PROXIES else None) or o.__class__))
        _labseq[i] = _helds[name]
        del _heldn[name]
        del _helds[name]
        o = None


def _labels():
    # `_label(obj)`: its label, or <typename> for an object no statement created.
    r = None
    o = None
    while 1:
        o = yield r
        i = _id(o)
        t = ((_tp(o) if _PROXIES else None) or o.__class__)
        if i in _lab and (_labtype[i] == _id(t) or (_RETYPE and _id(t) in _rcls and _labtype[i] in _rcls)):
            r = _lab[i]
        else:
            r = '<' + t.__name__ + '>'
        o = t = None


def _dicts():
    # `_own_dict(obj)` after an attribute store: on 2.7-3.10 obj's __dict__ exists now and may
    # have just been created where a labelled dict once lived; an instance dict is unlabelled.
    # (Reading __dict__ creates nothing once it exists; on 3.11+ it would materialize one.)
    o = None
    while 1:
        o = yield
        if _id(o.__class__) in _dictclasses:
            i = _id(o.__dict__)
            if i in _lab:
                del _lab[i]
                del _labtype[i]
                del _labseq[i]
        o = None


def _observer():
    # `_observe()`: record gc.garbage (the module attribute, in list order) and the scenario
    # class instances that are alive (in creation order).
    idf = _id            # local names for the loop over every tracked object
    lab = _lab
    yield
    while 1:
        enabled = gc.isenabled()
        gc.disable()
        # The only GC objects this allocates and does not free by itself: gc.get_objects()'s
        # list and gc.get_count()'s tuples. The spares are freed first (before that list refers
        # to them), so every count reading takes one of them back from the 3-tuple free list,
        # and the free list ends as it was; the counts then tell whether the list was fresh.
        # Freeing could run pending trashcan work (2.7-3.7, deep chains): then the tuples are
        # kept instead, and a third reading tells whether they were fresh (as long as the
        # 3-tuple free list held none, or at least three).
        if not _KEEP_ALL:
            while _spare:
                s = _spare_pop()
                s = None
            s = _spare1_pop()
            s = None
            _fzs[0] = 0  # a frozen spare that is freed leaves the permanent generation
        tf = 0
        cnt = _cnt0 if _KEEP_ALL else None
        if cnt is not None:
            # (2.7-3.7) Readings that allocate nothing.
            t0 = cnt.value
            objs = gc.get_objects()
            lf = cnt.value - t0           # 1: the list was fresh
            t0 = t1 = t2 = None
        else:
            t0 = gc.get_count()
            objs = gc.get_objects()
            t1 = gc.get_count()
            if _KEEP_ALL:
                t2 = gc.get_count()
                tf = t2[0] - t1[0]            # 1: the 3-tuple free list was empty
            else:
                _spare_append(t0)
                _spare_append(t1)
            lf = t1[0] - t0[0] - tf           # 1: the list was fresh
        text = ''
        for o in gc.garbage:
            if text:
                text = text + ', '
            text = text + _label(o)
        _ev[_evn[0]] = 'gc.garbage: [' + text + ']'
        _evn[0] += 1
        # Every instance of a scenario class is tracked, except frozen ones (3.7+) and, on
        # 2.7-3.7, instances of classes with `__slots__ = ()`: those need the deep walk.
        for o in _walk_from or objs:
            if idf(o) in lab:
                if _PROXIES and _id(o) in _pids and _tp(o) is not None:
                    continue
                i = idf(o)
                t = idf(o.__class__)
                if t in _cls and (_labtype[i] == t or (_RETYPE and t in _rcls and _labtype[i] in _rcls)):
                    _byseq[_labseq[i]] = _lab[i]
        deep = _DEEP or (_FREEZE and gc.get_freeze_count() > _FROZEN0)
        if deep:
            # Walk from the scenario's globals, both garbage lists and every tracked container
            # through lists, dicts, tuples, sets, instances and weakref referents. Its calls' argument
            # tuples (gc.get_referents; type() up to 3.9) all reuse the 1-tuple the spare left.
            # With _KEEP_ALL there is no spare, and a 1-tuple they made would stay on the free
            # list, where the scenario's next 1-tuple (a defaults tuple, `(x,)`) takes it
            # uncounted (fuzz seed 60 #554): on 3.6/3.7 gc.get_referents gets 20 arguments
            # there (a tuple no free list keeps: allocated and freed, no trace in the counts),
            # and types are read as `o.__class__` (no call). 2.7 keeps its calls: reading
            # `__class__` there readies static types lazily (PyType_Ready allocates), a classic
            # class has none, and a 20-tuple's dealloc runs pending trashcan work (fuzz seed 41
            # #84); docs/interpreters.md.
            # The lists of referents are freed one by one: only the first can be fresh, and
            # then one more list stays on their free list, which is taken off and kept. (With
            # deep chains possible, 2.7-3.7, freeing them may run pending trashcan work: not
            # preserved here.)
            cattr = _KEEP_ALL and _PY3
            pf = 0
            if cnt is not None:
                c0 = cnt.value
                if not cattr:
                    # 2.7: the walk's calls (type(), gc.get_referents) take their 1-tuple of
                    # arguments from the tuple free list and give it back; where that list
                    # was empty, the first call's tuple is fresh and stays there, where the
                    # scenario's next 1-tuple (a closure, `(x,)`) would take it uncounted
                    # (fuzz seed 74 #6538). A first call here shows which; it is taken back
                    # after the walk.
                    _type(None)
                    pf = cnt.value - c0
            else:
                c = gc.get_count()
                c0 = c[0]
                if _KEEP_ALL:
                    _keep(c)
                else:
                    _spare_append(c)
                c = None
            _todo_append(gc.garbage)
            _todo_append(_garbage0)
            g = _globals()
            for k in g:
                if k[0] != '_':
                    _todo_append(g[k])
            g = k = None
            for o in _walk_from or objs:
                if _PROXIES and _id(o) in _pids and _tp(o) is not None:
                    continue  # a proxy hands out no referent without forwarding to it
                t = o.__class__ if cattr else _type(o)
                if t is _list or t is _dict or t is _tuple or t is _set or t is _frozenset or _id(t) in _cls:
                    _todo_append(o)
            while _todo:
                o = _todo_pop()
                i = _id(o)
                if i in _seen:
                    continue
                _seen[i] = 1
                if _PROXIES and _id(o) in _pids and _tp(o) is not None:
                    continue
                t = o.__class__ if cattr else _type(o)
                if _id(t) in _cls:
                    if i in _lab and (_labtype[i] == _id(t) or (_RETYPE and _id(t) in _rcls and _labtype[i] in _rcls)):
                        _byseq[_labseq[i]] = _lab[i]
                elif t is _wrtype:
                    o = o()
                    if o is not None:
                        _todo_append(o)
                    continue
                elif t is not _list and t is not _dict and t is not _tuple and t is not _set and t is not _frozenset:
                    continue
                if cattr:
                    _todo_extend(gc.get_referents(o, None, None, None, None, None, None, None, None, None, None,
                                                  None, None, None, None, None, None, None, None, None))
                else:
                    _todo_extend(gc.get_referents(o))
            _seen_clear()
            o = t = None
            if cnt is not None:
                # Fresh lists of referents went to the list free list when they were freed:
                # take them back (fuzz seed 70 #8865).
                deep = cnt.value - c0
                i = deep - pf
                while i > 0:
                    _keep([])
                    i = i - 1
                if pf:
                    _keep((pf,))
            elif _KEEP_ALL:
                c = gc.get_count()
                _keep(c)
                deep = c[0] - c0 + 1
                # A fresh list of referents went to the list free list when it was freed:
                # take it back (fuzz seed 70 #8865: the scenario's next `[]` took it uncounted,
                # 3.6). c[0] - c0 counts it and, where the 3-tuple free list was empty, c0.
                i = c[0] - c0 - tf
                while i > 0:
                    _keep([])
                    i = i - 1
            else:
                c = gc.get_count()
                _spare_append(c)
                deep = c[0] - c0
                i = deep
                while i > 0:
                    _keep([])
                    i = i - 1
            c = None
        del objs[:]
        o = None
        for i in _byseq:
            _alive_append(i)
        _alive_sort()
        text = ''
        for i in _alive:
            if text:
                text = text + ', '
            text = text + _byseq[i]
        _ev[_evn[0]] = 'alive: [' + text + ']'
        _evn[0] += 1
        del _alive[:]
        _byseq_clear()
        # Fresh objects are kept (emptied) and their gen-0 count given back by freeing pool
        # objects; recycled ones go back to their free list, except when freeing a list or
        # tuple could run pending trashcan deallocations early (2.7-3.7, deep chains).
        n = deep
        # A recycled list goes back to the list free list (where the program without the
        # harness still has it: fuzz seed 72 #890), unless freeing it could run pending
        # trashcan work (2.7-3.7).
        if lf or (_KEEP_ALL and (_trash is None or _trash.value is not None)):
            _keep(objs)
            n = n + lf
        if cnt is not None:
            pass
        elif _KEEP_ALL:
            _keep(t0)
            _keep(t1)
            _keep(t2)
            n = n + 3 * tf
        else:
            # Take back what the readings left of the spares on the free lists.
            while _len(_spare) < 4:
                _spare_append(gc.get_count())
            _spare1_append((_evn[0],))
        objs = t0 = t1 = t2 = cnt = None
        while n > 0 and _pool:
            _pool_pop()
            n = n - 1
        if enabled:
            gc.enable()
        yield


_STARTUP = None  # the start-up heap, measured when the scenario can enable collection


def _print_trace():
    out = _sys.stdout
    if _SUMMARY:
        out.write('#gcconform-summary\n')
    if _STARTUP is not None:
        out.write('#gcconform-startup-heap %d\n' % _STARTUP)
    out.write('#gcconform-trace-begin\n')
    for k in _range(_evn[0]):
        out.write(_ev[k] + '\n')
    out.write('#gcconform-trace-end\n')
    out.flush()
    _sys.stderr.flush()
    _os._exit(0)


def _lengths():
    # `_len_of(seq)`: len(seq) for `random_edges:`, through a generator resume (no frame
    # allocated or freed; on 3.12+ a resume always checks the eval breaker).
    r = None
    o = None
    while 1:
        o = yield r
        r = _len(o)
        o = None


def callback(wr):
    _ev[_evn[0]] = 'callback ' + (_lab[_id(wr)] if _id(wr) in _lab and _labtype[_id(wr)] == _id(((_tp(wr) if _PROXIES else None) or wr.__class__)) else '<' + ((_tp(wr) if _PROXIES else None) or wr.__class__).__name__ + '>')
    _evn[0] += 1
