# Programs whose scenario makes `weakref.proxy` objects (only: these lookups make a bound
# method of CPython's own, which would change every other program's start-up heap). A proxy
# forwards every attribute read to its referent, `__class__` included, and raises
# ReferenceError once the referent is dead; `type.__instancecheck__` bound to a proxy type is a
# one-argument C function (no argument tuple, no allocation) that compares `Py_TYPE` first, and
# reads `__class__` only when that fails: so it is asked only about objects that cannot be a
# proxy of the other type (`callable()`, another one-argument C function, reads `tp_call`: only
# the callable proxy type has one), and only about objects at an address where the scenario
# made a proxy (`_pids`): asking about every object moved 2.7's tuple free list (fuzz seed 85
# #7078).
_PROXIES = True
_pids = {}  # id -> 1 of every proxy the scenario made: only objects at those addresses are asked
_PT = weakref.ProxyType
_CPT = weakref.CallableProxyType
_isp = _PT.__instancecheck__
_iscp = _CPT.__instancecheck__
_rc = _sys.getrefcount
_callable = callable


def _types():
    # `_tp(obj)`: obj's proxy type if it is a proxy, else None (then its `__class__` is safe to
    # read). It never holds anything but a static type between calls.
    o = None
    r = None
    while 1:
        o = yield r
        if _id(o) in _pids and (_iscp(o) if _callable(o) else _isp(o)):
            r = _CPT if _callable(o) else _PT
        else:
            r = None
        o = None


_tp = _started(_types())
