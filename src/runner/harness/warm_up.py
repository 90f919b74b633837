# ---- warm-up --------------------------------------------------------------------------------
_label = _started(_labels())
_own_dict = _started(_dicts())
_observe = _started_noarg(_observer())
_len_of = _started(_lengths())
# Warm-up: run every harness path once, so one-time lazy allocations happen now.
_DEEP = True
_FREEZE = False
_KEEP_ALL = False
# The observations' spares: four 3-tuples and a 1-tuple, of ints only (so that a collection
# untracks them).
_spare_append(gc.get_count())
_spare_append(gc.get_count())
_spare_append(gc.get_count())
_spare_append(gc.get_count())
_spare1_append((_evn[0],))
_count['_prime'] = 0
_prime = _started(_labeller('_prime'))
_prime([])
_prime([])
_prime = _started(_binder('_prime'))
_heldn['_prime'] = 1
_helds['_prime'] = 1
_prime([])
_heldn['_prime'] = 2
_helds['_prime'] = 2
_prime([])
_label(_prime)
_label(_ev)
_len_of(_ev)
class _Warm(object):
    pass
_prime = _Warm()
_prime.x = 1
_dictclasses[_id(_Warm)] = 1
_own_dict(_prime)
del _dictclasses[_id(_Warm)]
# The warm-up's observations (and deep walks) look at a sample of each kind of object they
# handle, not at every object there is (the paths matter, not the heap; that is slow).
_walk_from.extend(([_prime], {'k': _prime}, (_prime, 0), _wrtype(_Warm), _wrtype(_prime)))
_prime = _Warm = None
# 2.7 keeps up to 80 freed sets for reuse (no collection empties that list): fill it, so a
# scenario's sets start from a known free list.
_prime = [set() for _s in range(80)]
_prime = _s = None
_observe()
_observe()
if _cnt0 is not None:
    # The observations' count readings on 2.7-3.7 (with _KEEP_ALL).
    _prime = _cnt0.value
    _prime = None
if _trash is not None:
    _prime = _trash.value
del _walk_from[:]
del _count['_prime']
_lab.clear()
_labtype.clear()
_labseq.clear()
_sq[0] = 0
_ev.clear()
_evn[0] = 0
if _sys.version_info < (3, 7):
    # Collect _Warm (cyclic trash since _walk_from let go of it) now, as the fork server does
    # after this part (3.7+ programs collect before their class statements themselves), so
    # that a fresh run's class statements find the heap a forked child's find: 2.7 keeps a
    # dead class's weak reference in object's __subclasses__ list until a new class takes its
    # slot (add_subclass), and where a deleted class's parts sit among the other objects
    # depends on it (2.7, 3.6).
    gc.collect()
