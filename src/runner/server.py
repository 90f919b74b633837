# gcconform fork server (see src/runner/pool.rs). Valid on CPython 2.7, 3.6+ and PyPy.
#
# Started as `python -s -S -c BOOTSTRAP`; the bootstrap reads this file from stdin (a 10-digit
# length, then the text) and runs it. Then, on the saved stdin/stdout:
#   in:  "C <slots> <len>\n" <tmpdir>       once: output files go in <tmpdir>
#        "R <id> <timeout_ms> <len>\n" <program>
#                                           fork a child that runs <program> (no answer)
#        "W\n"                              wait for one child to finish, answer "D"
#   out: "H <pid> <fork> <compiler>\n"      once, after "C"; <fork> is 0 without os.fork;
#                                           <compiler>: the compiler process's id, or 0
#        "D <id> <kind> <value> <outlen> <errlen>\n" <stdout> <stderr>
#                                           kind x: exit status <value>; s: killed by signal
#                                           <value>; e: fork failed (<stderr> says why)
# EOF on stdin: kill the children and exit.
#
# gcconform's fresh-process runs use this file too, without the protocol: a launcher program
# (runner/process.rs, `launcher`), given to `python -s -S -` on stdin, sets _ALONE to a program
# and runs this text with exec, as the bootstrap does; then the program runs in this process
# (_run_alone), on its stdout and stderr, and the process exits with the program's status.
#
# The server itself never runs a scenario: each program runs in a forked child, exactly as
# `python -s -S - < program` would run it (module `__main__`, file name `<stdin>`, stdin at
# EOF, no inherited __future__ flags), with stdout and stderr going to files of its own and a
# SIGALRM timer that kills it at the timeout. The program starts with gc.disable(), a full
# collection and an empty gc.garbage, as it does in a fresh process.
#
# What makes a run cheap (a forked child pays a page fault, about 3 us here, for every page it
# writes; see docs/benchmarks.md, "Live runs"): the harness part of a generated program, the same in every
# program, runs once here, in a module that each child takes as its `__main__` (see
# _prepared_head); the scenario's part is compiled before forking (by a compiler process, see
# _compiled: so the server's heap is that of a fresh process plus the server's own few hundred
# objects, and the child writes no page for it); and on 3.7+ the child
# of a program that says it never enables, freezes or unfreezes the collector (program.rs:
# FROZEN_OK) starts with gc.freeze(), so that its collections and gc.get_objects() see only what
# it makes, not the server's objects (reachable, older than the scenario's: with automatic
# collection off they change nothing). Any other program runs on the heap as the server left it
# (automatic collections depend on the size of the oldest generation, and gc.get_freeze_count()
# must count only what the interpreter froze at start-up, 375 tuples on 3.12, as in a fresh
# process).
import os, sys
try:
    import _signal as _sg
except ImportError:
    import signal as _sg
# What every generated program imports, loaded once here instead of once per child.
import gc, weakref, __future__
import marshal

try:
    import builtins as _builtins
except ImportError:
    import __builtin__ as _builtins
# The child replaces sys.modules['__main__']; 2.7 would clear this module when it is freed.
_server_main = sys.modules['__main__']

_CAP = 16 << 20          # at most this much of a child's stdout (head) and stderr (tail)
_IN = os.dup(0)
_OUT = os.dup(1)
_NULL = os.open(os.devnull, os.O_RDWR)
# Stray writes to fd 1 must not corrupt the protocol.
os.dup2(_NULL, 0)
os.dup2(_NULL, 1)
_buf = [b'']
_free = []               # output file pairs not in use
_all_fds = [_IN, _OUT, _NULL]
_running = {}            # pid -> (run id, file pair)
_ready = []              # answers owed before waiting for a child (fork failures)


def _quit():
    for pid in list(_running):
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass
    # The compiler process ends at EOF; waiting for it counts its CPU time as the server's
    # children's (gcconform speed measures that).
    for pid, to, _ in _compiler:
        try:
            os.close(to)
            os.waitpid(pid, 0)
        except OSError:
            pass
    os._exit(0)


def _fill():
    d = os.read(_IN, 1 << 16)
    if not d:
        _quit()
    _buf[0] += d


def _line():
    while b'\n' not in _buf[0]:
        _fill()
    l, _buf[0] = _buf[0].split(b'\n', 1)
    return l


def _exact(n):
    while len(_buf[0]) < n:
        _fill()
    d = _buf[0][:n]
    _buf[0] = _buf[0][n:]
    return d


def _send(b):
    while b:
        b = b[os.write(_OUT, b):]


def _answer(rid, kind, value, out, err):
    head = 'D %d %s %d %d %d\n' % (rid, kind, value, len(out), len(err))
    return head.encode('ascii') + out + err


def _slurp(fd, tail):
    n = os.fstat(fd).st_size
    start = 0
    if n > _CAP:
        if tail:
            start = n - _CAP
        n = _CAP
    os.lseek(fd, start, 0)
    chunks = []
    got = 0
    while got < n:
        d = os.read(fd, min(n - got, 1 << 20))
        if not d:
            break
        chunks.append(d)
        got += len(d)
    return b''.join(chunks)


# A generated program is a comment header, the harness and its warm-up (the same text in every
# program), then a line starting with _SPLIT (program.rs: SCENARIO_PART) and the scenario's own
# code. The harness runs here once per header length (padded with newlines so that line numbers
# stay those of the whole file), in a module of its own named __main__, exactly as the program's
# first part would run (it reads no input, writes nothing and does not exit; the warm-up's
# garbage is collected at once); each child takes that module as its __main__ and runs only the
# rest, compiled before the fork (padded the same way, with the __future__ features the harness
# turned on). Any other program, or one whose harness fails here, runs whole in the child
# (compiled before the fork too).
_SPLIT = b'\n# ---- classes'
_FROZEN_OK = b'\n# gcconform: never enables, freezes or unfreezes the collector\n'
_harness = {}            # (header lines, harness text) -> (module, __future__ flags) or None
_freeze = getattr(gc, 'freeze', None)


def _prepared_head(prog):
    i = prog.find(_SPLIT)
    if i < 0:
        return None, prog
    k = 0
    while prog.startswith(b'#', k):
        k = prog.find(b'\n', k) + 1
        if k == 0:
            return None, prog
    h = prog.count(b'\n', 0, k)
    key = (h, prog[k:i + 1])
    if key not in _harness:
        _harness[key] = _run_head(b'\n' * h + key[1])
    head = _harness[key]
    if head is None:
        return None, prog
    # Only blank lines before the rest: 2.7 sets a module's first line to that of its first
    # instruction, and a jump of 255+ lines would turn its peephole optimizer off.
    n = prog.count(b'\n', 0, i + 1)
    return head, b'# -*- coding: utf-8 -*-' + b'\n' * n + prog[i + 1:]


def _run_head(text):
    # The harness exits at once where gc has no get_count (it says so): leave that to a child.
    if not hasattr(gc, 'get_count'):
        return None
    code = _compiled(text, 0)
    if code.__class__ is bytes:
        return None
    try:
        main = type(sys)('__main__')
        main.__dict__['__builtins__'] = _builtins
        sys.modules['__main__'] = main
        try:
            exec(code, main.__dict__)
        finally:
            sys.modules['__main__'] = _server_main
    except BaseException:
        return None
    gc.collect()
    return main, _future_flags(code)


def _future_flags(code):
    # The __future__ features the harness turned on apply to the rest of the file too.
    flags = 0
    for name in __future__.all_feature_names:
        f = getattr(__future__, name).compiler_flag
        if code.co_flags & f:
            flags |= f
    return flags


class _Said(object):
    said = False

    def write(self, text):
        self.said = True

    def flush(self):
        pass


# The server never calls compile(): the first call creates the classes of the _ast module (350
# to 1,100 tracked objects, that a fresh `python - < program` does not have and every child
# would inherit). A compiler process, forked before anything is compiled, does it and sends the
# code back marshalled. (The bootstrap runs this file with exec, which makes no such objects.)
_compiler = []           # [(pid, to its stdin, from its stdout)] while it works
_CACHE_BYTES = 64 << 20


def _read_exact(fd, n):
    chunks = []
    while n > 0:
        d = os.read(fd, n)
        if not d:
            raise EOFError()
        chunks.append(d)
        n -= len(d)
    return b''.join(chunks)


def _write_all(fd, b):
    while b:
        b = b[os.write(fd, b):]


def _compile_loop(rfd, wfd):
    # The compiler process; never returns. For each request, the marshalled code, or nothing if
    # compiling fails or warns (stderr is where a warning goes).
    try:
        for fd in _all_fds:
            os.close(fd)
        # What it sent for a program it has compiled before (the same program run again: a
        # corpus run several times, `gcconform speed --rounds`), up to _CACHE_BYTES of text
        # and code; then it starts over.
        cache = {}
        size = [0]
        while 1:
            h = _read_exact(rfd, 22)
            text = _read_exact(rfd, int(h[11:21]))
            key = (h[:10], text)
            data = cache.get(key)
            if data is None:
                said, err = _Said(), sys.stderr
                sys.stderr = said
                try:
                    data = marshal.dumps(compile(text, '<stdin>', 'exec', int(h[:10]), True))
                except BaseException:
                    data = b''
                sys.stderr = err
                if said.said:
                    data = b''
                if size[0] > _CACHE_BYTES:
                    cache.clear()
                    size[0] = 0
                cache[key] = data
                size[0] += len(text) + len(data)
            _write_all(wfd, ('%10d\n' % len(data)).encode('ascii') + data)
    finally:
        os._exit(0)


def _start_compiler():
    try:
        a = os.pipe()
        b = os.pipe()
        pid = os.fork()
    except (OSError, AttributeError):
        return
    if pid == 0:
        os.close(a[1])
        os.close(b[0])
        _compile_loop(a[0], b[1])
    os.close(a[0])
    os.close(b[1])
    _all_fds.extend((a[1], b[0]))
    _compiler.append((pid, a[1], b[0]))


def _compiled(prog, flags):
    # The code of `prog` (file <stdin>), or `prog` itself if compiling it fails or warns, or if
    # there is no compiler process: then the child compiles it, and fails or warns as a fresh
    # process would.
    if not _compiler:
        return prog
    c = _compiler[0]
    try:
        _write_all(c[1], ('%10d %10d\n' % (flags, len(prog))).encode('ascii') + prog)
        n = int(_read_exact(c[2], 11))
        if n == 0:
            return prog
        return marshal.loads(_read_exact(c[2], n))
    except BaseException:
        del _compiler[:]  # it died: children compile from now on
        return prog


def _child(fo, fe, ms, main, flags, prog, freeze):
    # Never returns. A failure before the program starts exits with status 120.
    try:
        # The harness modules of other programs (one per header length) and the bookkeeping of
        # other children are the server's, not this program's: let go of them, so that what the
        # child's heap holds does not depend on which programs the server ran before it or how
        # many run beside it (the program's start-up collection frees them; the start-up heap
        # it measures is then the same in every batch).
        _harness.clear()
        _running.clear()
        del _ready[:]
        del _free[:]
        if freeze:
            _freeze()
        os.dup2(_NULL, 0)
        os.dup2(fo, 1)
        os.dup2(fe, 2)
        os.closerange(3, _fd_end)  # every descriptor the server opened
        if ms > 0:
            _sg.setitimer(_sg.ITIMER_REAL, ms / 1000.0)
        if main is None:
            main = type(sys)('__main__')
            main.__dict__['__builtins__'] = _builtins
        sys.modules['__main__'] = main
        sys.argv = ['-']
    except BaseException:
        try:
            os.write(2, b'gcconform fork server: could not set up the child\n')
        finally:
            os._exit(120)
    code = 0
    try:
        if prog.__class__ is bytes:
            prog = compile(prog, '<stdin>', 'exec', flags, True)
        exec(prog, main.__dict__)
    except SystemExit:
        c = sys.exc_info()[1].code
        if c is None:
            code = 0
        elif isinstance(c, int):
            code = c & 255
        else:
            try:
                sys.stderr.write('%s\n' % (c,))
            except BaseException:
                pass
            code = 1
    except BaseException:
        t, v, tb = sys.exc_info()
        try:
            # Leave this function's frame out, as a fresh process would not have it.
            tb = tb.tb_next
            if hasattr(v, '__traceback__'):
                v.__traceback__ = tb
            sys.excepthook(t, v, tb)
        except BaseException:
            pass
        code = 1
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except BaseException:
            pass
    os._exit(code)


def _start(rid, ms, prog):
    head, prog = _prepared_head(prog)
    main, flags, freeze = None, 0, False
    if head is not None:
        main, flags = head
        freeze = _freeze is not None and _FROZEN_OK in prog
    prog = _compiled(prog, flags)
    if freeze and prog.__class__ is not bytes:
        # A fresh process compiles the program before its start-up collection, which untracks
        # the code's constant tuples of untracked items; a frozen child's start-up collection
        # would not see them (gc.freeze() keeps them tracked for good). Collect the young
        # generation, which holds the freshly loaded code (the server runs with automatic
        # collection off), before the fork.
        gc.collect(0)
    pair = _free.pop()
    for fd in pair:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, 0)
    try:
        pid = os.fork()
    except OSError:
        _free.append(pair)
        why = ('fork failed: %s' % (sys.exc_info()[1],)).encode('utf-8', 'replace')
        _ready.append(_answer(rid, 'e', 0, b'', why))
        return
    if pid == 0:
        _child(pair[0], pair[1], ms, main, flags, prog, freeze)
    _running[pid] = (rid, pair)


def _wait():
    if _ready:
        _send(_ready.pop(0))
        return
    while 1:
        try:
            pid, status = os.wait()
        except OSError:
            if sys.exc_info()[1].errno == 4:  # EINTR (2.7)
                continue
            raise
        if pid in _running:
            break
    rid, pair = _running.pop(pid)
    if os.WIFSIGNALED(status):
        kind, value = 's', os.WTERMSIG(status)
    else:
        kind, value = 'x', os.WEXITSTATUS(status)
    msg = _answer(rid, kind, value, _slurp(pair[0], False), _slurp(pair[1], True))
    _free.append(pair)
    _send(msg)


def _run_alone(prog):
    # A program that runs in this process, not in a forked child: through the same frames as a
    # child's (this function stands for _start, then _child and its exec), so that what counts
    # frames or C recursion units (the recursion limit, 3.13's trashcan) sees the same stack in
    # a fresh process and in a forked child.
    _child(_OUT, 2, 0, None, 0, prog, False)


if '_ALONE' in globals():
    _fd_end = max(_all_fds) + 1
    _run_alone(_ALONE)
_h = _line().split()
_slots = int(_h[1])
_dir = _exact(int(_h[2])).decode('utf-8')
for _i in range(_slots):
    _pair = []
    for _ext in ('out', 'err'):
        _p = os.path.join(_dir, 'gcconform-server-%d-%d.%s' % (os.getpid(), _i, _ext))
        _fd = os.open(_p, os.O_RDWR | os.O_CREAT | os.O_EXCL, 384)  # 0o600
        os.unlink(_p)
        _pair.append(_fd)
        _all_fds.append(_fd)
    _free.append(tuple(_pair))
_start_compiler()
_fd_end = max(_all_fds) + 1
_send(('H %d %d %d\n' % (os.getpid(), int(hasattr(os, 'fork')),
                         _compiler and _compiler[0][0] or 0)).encode('ascii'))
while 1:
    _h = _line().split()
    if not _h:
        continue
    if _h[0] == b'R':
        _p = _exact(int(_h[3]))
        _start(int(_h[1]), int(_h[2]), _p)
        _p = None
    elif _h[0] == b'W':
        _wait()
    else:
        _quit()
