# Programs whose steps make classes (only: the others keep the start-up heap they always had).


def _classes():
    # `_new_class(C)` after a class statement among the steps: its bases and MRO tuples are
    # new and no name was bound to them, so a label their address had is a dead object's
    # (`t = (a,)` rebound, its tuple freed and its memory reused). Reading `__bases__` and
    # `__mro__` allocates nothing.
    c = None
    o = None
    while 1:
        c = yield
        o = c.__bases__
        i = _id(o)
        if i in _lab:
            del _lab[i]
            del _labtype[i]
            del _labseq[i]
        o = c.__mro__
        i = _id(o)
        if i in _lab:
            del _lab[i]
            del _labtype[i]
            del _labseq[i]
        c = o = None
