"""The two steps of Lloyd's k-means at compiled speed, with R's exact decisions.

Private helpers of :mod:`course_utils.kmeans`.

**Assignment** (:class:`NearestCentre`). ``||x-c||^2 = ||x||^2 - 2 x.c + ||c||^2``: the middle term
for all points and centres is one matrix product, and ``||x||^2`` does not change the argmin. The
product is taken in *single* precision (twice the speed and half the memory traffic of double),
which is only a filter. With ``u`` the unit roundoff and ``M = ||x||^2 + 2 max ||c||^2`` (norms of
the centred data), each computed value is within ``(p+5) u M`` of the exact one, so every centre
whose value lies within ``8 (p+4) u M`` of the smallest is a candidate for R's nearest centre. A
point with a single candidate is settled; a point with several (a near-tie, rare) gets its
distances recomputed exactly in double precision, column by column as R's loops sum them, and R's
tie rule (the lowest index). The labels are therefore exactly R's, whatever the precision of the
filter; a block where near-ties are common is filtered again in double precision first. Blocks of
points are labelled on several threads at once (NumPy and BLAS release the GIL).

**Update** (:class:`InOrderSums`). The sum of each cluster's rows, each column added in point order
as R's ``kmeans.c`` does, so that the centres are bit-for-bit R's: a (k, n) one-hot matrix in CSC
form times ``X`` walks the points in order. Its index array is reused from pass to pass and the
columns of ``X`` are split between threads (each column's sum keeps its order).
"""
from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse
from threadpoolctl import ThreadpoolController

from ._sequential import sqdist_exact

__all__ = ["NearestCentre", "InOrderSums", "one_blas_thread"]

WORKERS = max(1, min(4, os.cpu_count() or 1))   # threads, like scikit-learn's OpenMP loops
_POOL: list = []
_THREADPOOLS: list = []
_F32_RANGE = (1e-20, 1e30)                       # ||x||^2 + 2 max||c||^2 where float32 bounds hold


def _pool() -> ThreadPoolExecutor:
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="kmeans"))
    return _POOL[0]


def _run_parallel(tasks: list) -> None:
    """Run argument-less callables: all but the first on the pool, the first on this thread."""
    futures = [_pool().submit(t) for t in tasks[1:]]
    try:
        if tasks:
            tasks[0]()
    finally:
        for f in futures:
            f.result()


def one_blas_thread(n_values: int):
    """Limit BLAS to one thread for big problems (a no-op context for small ones).

    The products are thin and already run on our threads; BLAS threads on top would compete for
    the same cores (scikit-learn's KMeans limits BLAS the same way).

    Parameters
    ----------
    n_values : int
        The size of the problem (number of values in the products).

    Returns
    -------
    context manager
        A BLAS thread limit, or a null context below 2**16 values.
    """
    if n_values < 2**16:
        return contextlib.nullcontext()
    if not _THREADPOOLS:
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1, user_api="blas")


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous ranges covering ``range(n)``, sizes differing by at most one."""
    bounds = [n * i // parts for i in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


class NearestCentre:
    """Index of the nearest centre of every row of ``X``, for many sets of centres.

    Built once per fit and called once per assignment pass: ``labels = nearest(C)``. The data are
    centred first (distances do not change; the rounding bound shrinks from the data's distance
    to the origin to its spread), and kept in single precision for the filter.
    """

    def __init__(self, X: np.ndarray):
        self.X = X
        self.mu = X.mean(axis=0)
        self.Xc = X - self.mu                             # rounding relative to the centred value
        self.xx = np.einsum("ij,ij->i", self.Xc, self.Xc)
        self.xx_max = float(self.xx.max()) if X.shape[0] else 0.0
        self._XT32 = None                                # (p, n) float32, made on first use

    def __call__(self, C: np.ndarray) -> np.ndarray:
        n, p = self.X.shape
        k = C.shape[0]
        labels = np.empty(n, dtype=np.intp)
        if k == 1:
            labels[:] = 0
            return labels
        Cc = C - self.mu
        cc = np.einsum("ij,ij->i", Cc, Cc)
        scale = 2.0 * float(cc.max())
        lo, hi = _F32_RANGE                               # single precision pays on big blocks
        single = n * k >= 2**16 and lo <= scale and self.xx_max + scale <= hi
        if single and self._XT32 is None:
            self._XT32 = np.ascontiguousarray(self.Xc.T, dtype=np.float32)
        filters = ([(np.float32, self._XT32)] if single else []) + [(np.float64, self.Xc.T)]
        made: dict = {}                                   # dtype -> filter, made when first needed
        cols = max(1024, 2**18 // k)                      # a (k, cols) block stays in cache

        def block(start: int, stop: int) -> None:
            for dtype, XT in filters:                     # single precision first, if usable
                if dtype not in made:
                    made[dtype] = self._filter(dtype, XT, Cc, cc, scale)
                best, near = made[dtype](start, stop)
                if near.size * 16 <= stop - start:        # few near-ties: settle them exactly
                    break
            if near.size:                                 # near-tie: exact distances, R's tie rule
                best[near] = sqdist_exact(self.X[start + near], C).argmin(axis=1)
            labels[start:stop] = best

        def run(a: int, b: int) -> None:
            for s in range(a, b, cols):
                block(s, min(s + cols, b))

        if n <= cols:
            block(0, n)
        else:
            _run_parallel([lambda a=a, b=b: run(a, b) for a, b in _split(n, min(WORKERS, -(-n // cols)))])
        return labels

    def _filter(self, dtype, XT: np.ndarray, Cc: np.ndarray, cc: np.ndarray, scale: float):
        """``filt(start, stop) -> (best, near)``: the candidate index of each point of the block
        and the positions (in the block) of points with more than one candidate."""
        k, p = Cc.shape
        A = (-2.0 * Cc).astype(dtype)
        cc_col = cc.astype(dtype)[:, None]
        # Error of one value, M = ||x||^2 + 2 max||c||^2 (centred): the inputs rounded to `dtype`
        # and the product's and the sum's rounding, (p + 5) u M; in double precision R's own
        # rounding of its sum adds 2 (p + 2) u M. Two values and the threshold's rounding stay
        # below 2 (3p + 8) u M + u M <= 8 (p + 4) u M.
        u = float(np.finfo(dtype).eps) / 2
        slack = 8.0 * (p + 4) * u
        code_type, shift = ((np.uint16, 8) if k < 2**8 else
                            (np.uint32, 16) if k < 2**16 else (np.uint64, 32))
        # one weight per centre: 1 (counts candidates) + its index in the upper bits
        w = (1 + (np.arange(k, dtype=code_type) << code_type(shift)))[:, None].astype(code_type)
        low = code_type((1 << shift) - 1)

        def filt(start: int, stop: int):
            G = A @ XT[:, start:stop]                     # (k, m): ||c||^2 - 2 x.c, rounded
            G += cc_col
            thr = G.min(axis=0)
            thr += (slack * (self.xx[start:stop] + scale)).astype(dtype)
            within = (G <= thr).view(np.uint8)            # the minimum and all within the bound
            code = np.add.reduce(within * w, axis=0, dtype=code_type)
            best = (code >> code_type(shift)).astype(np.intp)  # the index where the count is 1
            return best, np.flatnonzero((code & low) > 1)

        return filt


class InOrderSums:
    """Per-cluster sums of the rows of ``X``, each column added in point order (R's loop)."""

    def __init__(self, X: np.ndarray, k: int):
        n, p = X.shape
        self.X, self.k = X, k
        self.small = n * p < 2**15
        if self.small:                                    # a bincount per column is quicker
            return
        self.onehot = sparse.csc_array((np.ones(n), np.zeros(n, dtype=np.int32),
                                        np.arange(n + 1, dtype=np.int32)), shape=(k, n))
        groups = _split(p, min(WORKERS, p)) if n * p >= 2**20 else [(0, p)]
        self.groups = [(a, b, np.ascontiguousarray(X[:, a:b])) for a, b in groups]

    def __call__(self, labels: np.ndarray) -> np.ndarray:
        X, k = self.X, self.k
        if self.small:
            return np.stack([np.bincount(labels, weights=X[:, j], minlength=k)
                             for j in range(X.shape[1])], axis=1)
        self.onehot.indices[:] = labels                   # row of point i's single entry
        out = np.empty((k, X.shape[1]))

        def part(a: int, b: int, Xg: np.ndarray) -> None:
            out[:, a:b] = self.onehot @ Xg

        _run_parallel([lambda g=g: part(*g) for g in self.groups])
        return out
