# 2.7: start with full list and dict free lists (80 each).
if _sys.version_info[0] == 2:
    _i = [[] for _i in _range(100)], [{} for _i in _range(100)]
_i = None
# Automatic collection off; nothing left over from start-up.
gc.disable()
gc.collect()
del gc.garbage[:]
