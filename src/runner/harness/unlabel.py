# Programs whose scenario has methods or functions (only: the lookups below leave objects of
# CPython's own behind, which would change every other program's start-up heap).
_ftype = _type(lambda: 0)               # a function's type
_mtype = _type((lambda: 0).__get__(0))  # a bound method's type
_rc = _sys.getrefcount


def _unlabels():
    # `_unlabel(obj)`: obj is new and no name was bound to it (a bound method stored in an
    # attribute or a container): a label its address had is a dead object's.
    o = None
    while 1:
        o = yield
        i = _id(o)
        if i in _lab:
            del _lab[i]
            del _labtype[i]
            del _labseq[i]
        o = None
