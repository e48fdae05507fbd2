"""The point-by-point k-means kernels: Hartigan-Wong (AS 136) and MacQueen, as R runs them.

Private helpers of :mod:`course_utils.kmeans`. Both visit the points one at a time and move two
centres after every transfer, so they are plain Python loops over floats (IEEE doubles, the same
arithmetic in the same order as R's Fortran and C code).

Hartigan & Wong's Algorithm AS 136 (Appl. Statist. 1979, 28(1), 100-108) follows the published
algorithm step by step, as R's ``kmeans(..., algorithm = "Hartigan-Wong")`` runs it, so that it
gives R's labels, sums of squares and iteration counts:

* every point keeps its closest centre ``ic1`` and second-closest centre ``ic2``;
* the *optimal-transfer* stage visits each point once and moves it to the cluster ``L`` with the
  smallest ``n_L/(n_L+1) * ||x - c_L||^2`` when that is below ``n_1/(n_1-1) * ||x - c_1||^2``
  (the move lowers the within-cluster sum of squares); only clusters in the *live set* (changed
  during the last ``n`` steps) are searched for points whose own cluster is not live;
* the *quick-transfer* stage only tests swapping ``ic1`` and ``ic2``, looping over the data until
  ``n`` steps pass without a move;
* a point that is alone in its cluster is never moved, so no cluster is emptied;
* the run stops when ``n`` optimal-transfer steps pass without a move.

Arithmetic is done in the same order as the Fortran code (plain Python floats are IEEE doubles),
so decisions on near-ties come out as in R. The loops are sequential by nature: every transfer
moves two centres before the next point is examined.

The loops run compiled by Numba (:mod:`course_utils.estimators._kmeans_numba`, the same operations in the same
order); the Python loops here are the reference they are tested against, and the fallback when
Numba is missing or ``COURSE_UTILS_NO_NUMBA=1``. ``USE_COMPILED = False`` selects them at run time.
"""
from __future__ import annotations

import numpy as np

from ._kmeans_numba import kernels as _kernels

__all__ = ["hartigan_wong", "macqueen", "sqdist_exact", "compiled"]

#: Run the compiled kernels when Numba is there (tests set it to False to run the reference loops).
USE_COMPILED = True
_STAGES = ("optimal", "quick")
#: Rows of the compiled Hartigan-Wong's transfer log per point; a run with more transfers is
#: repeated with room for all of them (it is deterministic).
LOG_ROWS_PER_POINT = 2


def compiled() -> dict | None:
    """The compiled kernels by name (``hartigan_wong``, ``macqueen``, ``lloyd``), or None."""
    return _kernels() if USE_COMPILED else None

#: AS 136's "very large positive number" (a single-precision literal in the Fortran source).
BIG = float(np.float32(1e30))


def sqdist_exact(X: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Squared distances (n, k) summed column by column, i.e. in the order R's C and Fortran use.

    Parameters
    ----------
    X : ndarray (n, d)
        The data.
    C : ndarray (k, d)
        The centres.

    Returns
    -------
    ndarray (n, k)
        The squared distances.
    """
    D = np.zeros((X.shape[0], C.shape[0]))
    for j in range(X.shape[1]):
        t = X[:, j, None] - C[None, :, j]
        D += t * t
    return D


def _optra(xs, c, m, k, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx, log, it):
    """Optimal-transfer stage (AS 136.1). Returns the updated step counter ``indx``."""
    for L in range(k):
        if itran[L] == 1:
            live[L] = m + 1
    for i in range(1, m + 1):              # i is the 1-based step, as in the Fortran code
        indx += 1
        x = xs[i - 1]
        L1 = ic1[i - 1]
        if nc[L1] != 1:                    # a singleton is never moved
            if ncp[L1] != 0:               # L1 changed in this stage: refresh D(i)
                de = 0.0
                for a, b in zip(x, c[L1]):
                    t = a - b
                    de += t * t
                d[i - 1] = de * an1[L1]
            L2 = LL = ic2[i - 1]
            da = 0.0
            for a, b in zip(x, c[L2]):
                t = a - b
                da += t * t
            r2 = da * an2[L2]
            l1_out = i >= live[L1]         # L1 is not in the live set
            for L in range(k):
                if (l1_out and i >= live[L]) or L == L1 or L == LL:
                    continue
                rr = r2 / an2[L]
                dc = 0.0
                for a, b in zip(x, c[L]):
                    t = a - b
                    dc += t * t
                    if dc >= rr:
                        break
                else:
                    r2 = dc * an2[L]
                    L2 = L
            if r2 >= d[i - 1]:
                ic2[i - 1] = L2            # no transfer; L2 is the new runner-up
            else:
                indx = 0
                live[L1] = live[L2] = m + i
                ncp[L1] = ncp[L2] = i
                _move(x, c[L1], c[L2], nc, an1, an2, L1, L2)
                ic1[i - 1] = L2
                ic2[i - 1] = L1
                if log is not None:
                    log.append((it, "optimal", i - 1, L1, L2))
        if indx == m:
            return indx
    for L in range(k):
        itran[L] = 0
        live[L] -= m
    return indx


def _qtran(xs, c, m, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_steps, log, it):
    """Quick-transfer stage (AS 136.2). Returns ``(indx, steps_exceeded)``."""
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
                x = xs[i]
                if istep <= ncp[L1]:
                    da = 0.0
                    for a, b in zip(x, c[L1]):
                        t = a - b
                        da += t * t
                    d[i] = da * an1[L1]
                if istep < ncp[L1] or istep < ncp[L2]:
                    r2 = d[i] / an2[L2]
                    dd = 0.0
                    for a, b in zip(x, c[L2]):
                        t = a - b
                        dd += t * t
                        if dd >= r2:
                            break
                    else:
                        icoun = 0
                        indx = 0
                        itran[L1] = itran[L2] = 1
                        ncp[L1] = ncp[L2] = istep + m
                        _move(x, c[L1], c[L2], nc, an1, an2, L1, L2)
                        ic1[i] = L2
                        ic2[i] = L1
                        if log is not None:
                            log.append((it, "quick", i, L1, L2))
            if icoun == m:
                return indx, False


def _move(x, c1, c2, nc, an1, an2, L1, L2):
    """Move point ``x`` from cluster L1 (centre c1) to L2 (centre c2); update n and the factors."""
    al1 = float(nc[L1])
    alw = al1 - 1.0
    al2 = float(nc[L2])
    alt = al2 + 1.0
    for j in range(len(x)):
        c1[j] = (c1[j] * al1 - x[j]) / alw
        c2[j] = (c2[j] * al2 + x[j]) / alt
    nc[L1] -= 1
    nc[L2] += 1
    an2[L1] = alw / al1
    an1[L1] = alw / (alw - 1.0) if alw > 1.0 else BIG
    an1[L2] = alt / al2
    an2[L2] = alt / (alt + 1.0)


def hartigan_wong(X: np.ndarray, centers: np.ndarray, max_iter: int, *, trace: bool = False):
    """Run AS 136 from the given initial centres.

    Parameters
    ----------
    X : ndarray (n, p), finite float64
    centers : ndarray (k, p), distinct, ``2 <= k < n``
    max_iter : int, the number of optimal-transfer passes allowed (R's ``iter.max``)
    trace : bool, record every transfer as ``(iteration, stage, point, from, to)``

    Returns
    -------
    labels : ndarray (n,) 0-based
    centers : ndarray (k, p) the means of the final clusters
    n_iter : int, R's ``iter`` (``max_iter + 1`` when the run did not converge)
    ifault : int, 0 ok, 2 not converged, 4 quick-transfer steps exceeded (R's codes)
    log : list of transfers (empty unless ``trace``)

    Raises
    ------
    ValueError
        If a cluster is empty after the initial assignment (R's ifault 1).
    """
    m, _ = X.shape
    k = centers.shape[0]
    kernels = compiled()
    if kernels is not None:
        Xc = np.ascontiguousarray(X, dtype=np.float64)
        Cc = np.ascontiguousarray(centers, dtype=np.float64)
        log = np.empty((LOG_ROWS_PER_POINT * m + 64, 5), dtype=np.int64)  # room for most runs
        labels, C, it, ifault, nlog, counts = kernels["hartigan_wong"](Xc, Cc, int(max_iter), log)
        if nlog > log.shape[0]:                             # more: run again (the same run) with room
            log = np.empty((nlog, 5), dtype=np.int64)
            labels, C, it, ifault, nlog, counts = kernels["hartigan_wong"](Xc, Cc, int(max_iter), log)
        log = log[:nlog]
        if ifault == 1:
            raise ValueError(f"empty cluster: try a better set of initial centers (no point is "
                             f"closest to initial centre(s) {_ids(counts)}).")
        trans = []
        if trace and log.shape[0]:
            it_, st, pt, fr, to = log.T.tolist()
            trans = list(zip(it_, [_STAGES[j] for j in st], pt, fr, to))
        return labels.astype(np.intp, copy=False), C, int(it), int(ifault), trans
    D0 = sqdist_exact(X, centers)
    order = np.argsort(D0, axis=1, kind="stable")   # ties go to the lower index, as in AS 136
    ic1_arr = order[:, 0]
    counts = np.bincount(ic1_arr, minlength=k)
    if np.any(counts == 0):
        raise ValueError(f"empty cluster: try a better set of initial centers (no point is closest "
                         f"to initial centre(s) {_ids(counts)}).")
    ic1 = ic1_arr.tolist()
    ic2 = order[:, 1].tolist()
    c = _means(X, ic1_arr, k, counts).tolist()
    nc = counts.tolist()
    an2 = [a / (a + 1.0) for a in map(float, nc)]
    an1 = [a / (a - 1.0) if a > 1.0 else BIG for a in map(float, nc)]
    itran = [1] * k
    ncp = [-1] * k
    live = [0] * k
    d = [0.0] * m
    xs = X.tolist()
    log = [] if trace else None
    max_steps = min(50 * m, 2**31 - 1)

    indx = 0
    ifault = 0
    for it in range(1, max_iter + 1):
        indx = _optra(xs, c, m, k, ic1, ic2, nc, an1, an2, ncp, d, itran, live, indx, log, it)
        if indx == m:
            break
        indx, exceeded = _qtran(xs, c, m, ic1, ic2, nc, an1, an2, ncp, d, itran, indx, max_steps, log, it)
        if exceeded:
            ifault = 4
            break
        if k == 2:
            break
        for L in range(k):
            ncp[L] = 0
    else:
        it = max_iter + 1
        ifault = 2
    labels = np.asarray(ic1, dtype=np.intp)
    counts = np.bincount(labels, minlength=k)
    return labels, _means(X, labels, k, counts), it, ifault, (log or [])


def macqueen(X: np.ndarray, C: np.ndarray, max_iter: int, nearest=None):
    """R's ``kmeans_MacQueen`` from the initial centres ``C``.

    The first assignment is the nearest initial centre (``nearest(C)`` when given to the Python
    loops, e.g. a :class:`~course_utils._lloyd_steps.NearestCentre`; R's exact loop otherwise).
    Returns labels, centres, R's ``iter`` and ifault (0 ok, 2 not converged), like
    :func:`hartigan_wong`; raises ``ValueError`` when a cluster is empty.

    Parameters
    ----------
    X : ndarray (n, d)
        The data.
    C : ndarray (k, d)
        The initial centres.
    max_iter : int
        The largest number of passes.
    nearest : callable, optional
        ``nearest(C)`` gives the first assignment in the Python loops.
    """
    k = C.shape[0]
    kernels = compiled()
    if kernels is not None:
        labels, cen, it, ifault, bad, npass, counts = kernels["macqueen"](
            np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(C, dtype=np.float64),
            int(max_iter))
        if ifault == 1:
            raise ValueError(f"empty cluster: try a better set of initial centers (no point is "
                             f"closest to initial centre(s) {_ids(counts)}).")
        if ifault == 3:
            raise ValueError(f"empty cluster: try a better set of initial centers (cluster {bad} "
                             f"lost its last point in MacQueen pass {npass}).")
        return labels.astype(np.intp, copy=False), cen, int(it), int(ifault)
    labels = nearest(C) if nearest is not None else sqdist_exact(X, C).argmin(axis=1)
    counts = np.bincount(labels, minlength=k)
    if np.any(counts == 0):
        raise ValueError(f"empty cluster: try a better set of initial centers (no point is closest "
                         f"to initial centre(s) {_ids(counts)}).")
    cen = _means(X, labels, k, counts).tolist()
    nc = counts.tolist()
    cl = labels.tolist()
    xs = X.tolist()
    rk = range(k)
    for it in range(max_iter):
        updated = False
        for i, x in enumerate(xs):
            best = np.inf
            inew = 0
            for j in rk:
                dd = 0.0
                for a, b in zip(x, cen[j]):
                    t = a - b
                    dd += t * t
                if dd < best:
                    best = dd
                    inew = j
            iold = cl[i]
            if iold != inew:
                updated = True
                cl[i] = inew
                nc[iold] -= 1
                nc[inew] += 1
                if nc[iold] == 0:
                    raise ValueError(f"empty cluster: try a better set of initial centers (cluster {iold} "
                                     f"lost its last point in MacQueen pass {it + 1}).")
                co, cn = cen[iold], cen[inew]
                no, nn = nc[iold], nc[inew]
                for c in range(len(x)):
                    co[c] += (co[c] - x[c]) / no
                    cn[c] += (x[c] - cn[c]) / nn
        if not updated:
            return np.asarray(cl, dtype=np.intp), np.asarray(cen), it + 1, 0
    return np.asarray(cl, dtype=np.intp), np.asarray(cen), max_iter + 1, 2


def _ids(counts: np.ndarray) -> str:
    return ", ".join(str(j) for j in np.flatnonzero(counts == 0))


def _means(X: np.ndarray, labels: np.ndarray, k: int, counts: np.ndarray) -> np.ndarray:
    """Cluster means, each sum taken over the points in their order (as R's loops do)."""
    C = np.empty((k, X.shape[1]))
    for j in range(X.shape[1]):
        C[:, j] = np.bincount(labels, weights=X[:, j], minlength=k) / counts
    return C


def _withinss(X: np.ndarray, labels: np.ndarray, centers: np.ndarray, k: int) -> np.ndarray:
    """Within-cluster sums of squares, one per cluster."""
    D = X - centers[labels]
    return np.bincount(labels, weights=np.einsum("ij,ij->i", D, D), minlength=k)
