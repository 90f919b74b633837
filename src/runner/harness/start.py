# 2.7: start with full list and dict free lists (80 each).
if _sys.version_info[0] == 2:
    _i = [[] for _i in _range(100)], [{} for _i in _range(100)]
_i = None
# The module's frame object exists before the steps run, in a fresh process and in a fork
# server's child alike (3.11+ make it on demand: the first traceback or returning frame that
# needs it; the server's child runs the steps in a frame of their own).
_sys._getframe()
# Automatic collection off; nothing left over from start-up.
gc.disable()
gc.collect()
del gc.garbage[:]
