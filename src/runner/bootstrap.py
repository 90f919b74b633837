import os
def _r(n):
    b = b''
    while len(b) < n:
        d = os.read(0, n - len(b))
        if not d:
            raise SystemExit(3)
        b += d
    return b
exec(_r(int(_r(10))))
