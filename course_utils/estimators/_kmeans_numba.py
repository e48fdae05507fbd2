"""Compiled (Numba) loops of R's k-means: Hartigan-Wong (AS 136), MacQueen and small Lloyd fits.

Private helpers of :mod:`course_utils._sequential` and :mod:`course_utils.kmeans`. Each kernel is
the same loop as the Python reference in :mod:`course_utils._sequential` (which follows R's Fortran
and C code), operation for operation: every distance is summed over the columns in order from
``0.0``, every centre update is written as R writes it, comparisons keep R's strict/non-strict
forms. Numba compiles without ``fastmath``, so LLVM may not reassociate, vectorise a reduction or
fuse a multiply-add (it only fuses where the IR allows ``contract``, which Numba does not emit):
the results are the same IEEE doubles, bit for bit, as the Python loops and R. Divisions follow
IEEE rules (``error_model="numpy"``: no zero test in the inner loops, as in Fortran).

Compilation happens on the first call of each kernel (seconds; Hartigan-Wong's is the longest) and
is cached on disk next to this file (``__pycache__``) or, where the package is read-only, in the user's cache directory;
with no writable place at all the kernels are compiled once per process. Numba itself is imported
on the first call of :func:`kernels` (not with ``course_utils``). ``COURSE_UTILS_NO_NUMBA=1`` (or a
missing Numba) selects the pure-Python loops instead; :func:`kernels` returns ``None`` then.
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["kernels"]

BIG = float(np.float32(1e30))           # AS 136's "very large positive number" (a REAL literal)
OPTIMAL, QUICK = 0, 1                    # stage codes in the transfer log


def _hw_init(X, C):
    """Nearest and second-nearest initial centre of every point (ties: the lower index)."""
    m, p = X.shape
    k = C.shape[0]
    ic1 = np.empty(m, np.int64)
    ic2 = np.empty(m, np.int64)
    dist = np.empty(k)
    for i in range(m):
        for L in range(k):
            dd = 0.0
            for j in range(p):
                t = X[i, j] - C[L, j]
                dd += t * t
            dist[L] = dd
        j1 = 0
        for L in range(1, k):
            if dist[L] < dist[j1]:
                j1 = L
        j2 = 1 if j1 == 0 else 0
        for L in range(j2 + 1, k):
            if L != j1 and dist[L] < dist[j2]:
                j2 = L
        ic1[i] = j1
        ic2[i] = j2
    return ic1, ic2


def _means(X, labels, k):
    """Per-cluster sums over the points in order, divided by the counts; the counts."""
    m, p = X.shape
    s = np.zeros((k, p))
    nc = np.zeros(k, np.int64)
    for i in range(m):
        L = labels[i]
        nc[L] += 1
        for j in range(p):
            s[L, j] += X[i, j]
    for L in range(k):
        if nc[L] > 0:
            for j in range(p):
                s[L, j] /= nc[L]
    return s, nc


def _move(X, i, c, nc, an1, an2, L1, L2):
    al1 = float(nc[L1])
    alw = al1 - 1.0
    al2 = float(nc[L2])
    alt = al2 + 1.0
    for j in range(X.shape[1]):
        c[L1, j] = (c[L1, j] * al1 - X[i, j]) / alw
        c[L2, j] = (c[L2, j] * al2 + X[i, j]) / alt
    nc[L1] -= 1
    nc[L2] += 1
    an2[L1] = alw / al1
    an1[L1] = alw / (alw - 1.0) if alw > 1.0 else BIG
    an1[L2] = alt / al2
    an2[L2] = alt / (alt + 1.0)


def _log(log, nlog, it, stage, i, L1, L2):
    """Write one transfer into row ``nlog[0]`` of ``log`` while there is room; count it always
    (the caller runs again with room for all when the count exceeds the rows). ``log`` is never
    reallocated here: an array reassigned in the loop would cost reference counting at every point."""
    n = nlog[0]
    if n < log.shape[0]:
        log[n, 0] = it
        log[n, 1] = stage
        log[n, 2] = i
        log[n, 3] = L1
        log[n, 4] = L2
    nlog[0] = n + 1


def _optra(X, c, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx, log, nlog, it):
    m, p = X.shape
    k = c.shape[0]
    for L in range(k):
        if itran[L] == 1:
            live[L] = m + 1
    for i in range(1, m + 1):
        indx += 1
        L1 = ic1[i - 1]
        if nc[L1] != 1:
            if ncp[L1] != 0:
                de = 0.0
                for j in range(p):
                    t = X[i - 1, j] - c[L1, j]
                    de += t * t
                d[i - 1] = de * an1[L1]
            L2 = ic2[i - 1]
            LL = L2
            da = 0.0
            for j in range(p):
                t = X[i - 1, j] - c[L2, j]
                da += t * t
            r2 = da * an2[L2]
            l1_out = i >= live[L1]
            for L in range(k):
                if (l1_out and i >= live[L]) or L == L1 or L == LL:
                    continue
                rr = r2 / an2[L]
                dc = 0.0
                done = True
                for j in range(p):
                    t = X[i - 1, j] - c[L, j]
                    dc += t * t
                    if dc >= rr:
                        done = False
                        break
                if done:
                    r2 = dc * an2[L]
                    L2 = L
            if r2 >= d[i - 1]:
                ic2[i - 1] = L2
            else:
                indx = 0
                live[L1] = m + i
                live[L2] = m + i
                ncp[L1] = i
                ncp[L2] = i
                _move(X, i - 1, c, nc, an1, an2, L1, L2)
                ic1[i - 1] = L2
                ic2[i - 1] = L1
                _log(log, nlog, it, np.int64(OPTIMAL), i - 1, L1, L2)
        if indx == m:
            return indx
    for L in range(k):
        itran[L] = 0
        live[L] -= m
    return indx


def _qtran(X, c, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_steps, log, nlog, it):
    m, p = X.shape
    icoun = 0
    istep = 0
    while True:
        for i in range(m):
            icoun += 1
            istep += 1
            if istep >= max_steps:
                return indx, True
            L1 = ic1[i]
            L2 = ic2[i]
            if nc[L1] != 1:
                if istep <= ncp[L1]:
                    da = 0.0
                    for j in range(p):
                        t = X[i, j] - c[L1, j]
                        da += t * t
                    d[i] = da * an1[L1]
                if istep < ncp[L1] or istep < ncp[L2]:
                    r2 = d[i] / an2[L2]
                    dd = 0.0
                    moved = True
                    for j in range(p):
                        t = X[i, j] - c[L2, j]
                        dd += t * t
                        if dd >= r2:
                            moved = False
                            break
                    if moved:
                        icoun = 0
                        indx = 0
                        itran[L1] = 1
                        itran[L2] = 1
                        ncp[L1] = istep + m
                        ncp[L2] = istep + m
                        _move(X, i, c, nc, an1, an2, L1, L2)
                        ic1[i] = L2
                        ic2[i] = L1
                        _log(log, nlog, it, np.int64(QUICK), i, L1, L2)
            if icoun == m:
                return indx, False


def _hartigan_wong(X, C, max_iter, log):
    """AS 136 from centres C: (labels, centres, iter, ifault, number of transfers, counts); the
    transfers are written to the rows of ``log`` (n, 5) as far as they go.

    ifault: 0 ok, 1 empty cluster after the first assignment, 2 not converged, 4 quick-transfer
    steps exceeded (R's codes)."""
    m = X.shape[0]
    k = C.shape[0]
    ic1, ic2 = _hw_init(X, C)
    c, nc = _means(X, ic1, k)
    nlog = np.zeros(1, np.int64)
    for L in range(k):
        if nc[L] == 0:
            return ic1, c, 0, 1, nlog[0], nc
    an1 = np.empty(k)
    an2 = np.empty(k)
    for L in range(k):
        a = float(nc[L])
        an2[L] = a / (a + 1.0)
        an1[L] = a / (a - 1.0) if a > 1.0 else BIG
    itran = np.ones(k, np.int64)
    ncp = np.full(k, -1, np.int64)
    live = np.zeros(k, np.int64)
    d = np.zeros(m)
    max_steps = min(50 * m, 2**31 - 1)
    indx = np.int64(0)
    ifault = 2
    it = max_iter + 1
    for itr in range(1, max_iter + 1):
        indx = _optra(X, c, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx, log, nlog, itr)
        if indx == m:
            it, ifault = itr, 0
            break
        indx, exceeded = _qtran(X, c, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_steps, log, nlog,
                                itr)
        if exceeded:
            it, ifault = itr, 4
            break
        if k == 2:
            it, ifault = itr, 0
            break
        for L in range(k):
            ncp[L] = 0
    c, nc = _means(X, ic1, k)
    return ic1, c, it, ifault, nlog[0], nc


def _nearest_exact(X, C, labels):
    """R's assignment loop: the first centre with the smallest distance summed column by column."""
    m, p = X.shape
    k = C.shape[0]
    changed = False
    for i in range(m):
        best = np.inf
        inew = 0
        for L in range(k):
            dd = 0.0
            for j in range(p):
                t = X[i, j] - C[L, j]
                dd += t * t
            if dd < best:
                best = dd
                inew = L
        if labels[i] != inew:
            changed = True
            labels[i] = inew
    return changed


def _macqueen(X, C, max_iter):
    """R's kmeans_MacQueen: (labels, centres, iter, ifault, bad cluster, pass, counts).

    ifault: 0 ok, 2 not converged, 1 a cluster empty after the first assignment, 3 a cluster lost
    its last point in pass ``pass`` (then ``bad`` is that cluster)."""
    m, p = X.shape
    k = C.shape[0]
    cl = np.full(m, -1, np.int64)
    _nearest_exact(X, C, cl)
    cen, nc = _means(X, cl, k)
    for L in range(k):
        if nc[L] == 0:
            return cl, cen, 0, 1, L, 0, nc
    for it in range(max_iter):
        updated = False
        for i in range(m):
            best = np.inf
            inew = 0
            for L in range(k):
                dd = 0.0
                for j in range(p):
                    t = X[i, j] - cen[L, j]
                    dd += t * t
                if dd < best:
                    best = dd
                    inew = L
            iold = cl[i]
            if iold != inew:
                updated = True
                cl[i] = inew
                nc[iold] -= 1
                nc[inew] += 1
                if nc[iold] == 0:
                    return cl, cen, it + 1, 3, iold, it + 1, nc
                no = nc[iold]
                nn = nc[inew]
                for j in range(p):
                    cen[iold, j] += (cen[iold, j] - X[i, j]) / no
                    cen[inew, j] += (X[i, j] - cen[inew, j]) / nn
        if not updated:
            return cl, cen, it + 1, 0, -1, 0, nc
    return cl, cen, max_iter + 1, 2, -1, 0, nc


def _lloyd(X, C, max_iter):
    """R's kmeans_Lloyd: (labels, centres, iter, ifault, pass of an empty cluster, counts).

    ifault: 0 ok, 2 not converged, 3 a cluster was empty after the assignment of pass ``pass``."""
    m, p = X.shape
    k = C.shape[0]
    cl = np.full(m, -1, np.int64)
    cen = C.copy()
    nc = np.zeros(k, np.int64)
    for it in range(max_iter):
        if not _nearest_exact(X, cen, cl):
            return cl, cen, it + 1, 0, 0, nc
        cen, nc = _means(X, cl, k)
        for L in range(k):
            if nc[L] == 0:
                return cl, cen, it + 1, 3, it + 1, nc
    return cl, cen, max_iter + 1, 2, 0, nc


_KERNELS: list = []                      # [dict or None], filled on the first call of kernels()


def kernels() -> dict | None:
    """The jitted kernels by name (``hartigan_wong``, ``macqueen``, ``lloyd``), or None when Numba
    is missing or ``COURSE_UTILS_NO_NUMBA`` is set. Each compiles (or loads from the on-disk cache)
    on its first call."""
    if not _KERNELS:
        _KERNELS.append(_compile())
    return _KERNELS[0]


def _compile():
    if os.environ.get("COURSE_UTILS_NO_NUMBA", "").strip() not in ("", "0"):
        return None
    try:
        import numba
    except ImportError:
        return None

    def jit(fn):
        try:                                  # on-disk cache where some place is writable
            return numba.njit(cache=True, nogil=True, error_model="numpy")(fn)
        except RuntimeError:                  # "no locator available": compile per process
            return numba.njit(nogil=True, error_model="numpy")(fn)

    g = globals()
    for name in ("_hw_init", "_means", "_move", "_log", "_optra", "_qtran", "_nearest_exact"):
        g[name] = jit(g[name])               # helpers first: the drivers call the jitted ones
    return {"hartigan_wong": jit(_hartigan_wong), "macqueen": jit(_macqueen), "lloyd": jit(_lloyd)}
