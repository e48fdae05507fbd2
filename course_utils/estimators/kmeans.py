"""k-means three ways, exactly as R's ``stats::kmeans`` runs them: Lloyd, MacQueen, Hartigan-Wong.

All three minimise the within-cluster sum of squares (WCSS)

.. math:: W = \\sum_{j=1}^{k} \\sum_{x \\in S_j} \\lVert x - \\mu_j \\rVert^2 ,

and since ``total_ss = within + between`` is fixed by the data, they maximise the between-cluster
sum of squares at the same time. They differ in *how* they move towards a local optimum:

* :class:`Lloyd` (Lloyd-Forgy): assign every point to its nearest centre, then move every centre
  to the mean of its points; repeat until no label changes. Vectorised with the BLAS identity
  ``||x-c||^2 = ||x||^2 - 2 x.c + ||c||^2`` in blocks on threads, in single precision as a filter
  with a proven rounding bound; near-ties are re-checked with the exact sum so that the labels are
  R's and ties go to the lower cluster index, as in ``kmeans.c`` (:mod:`course_utils._lloyd_steps`).
* :class:`MacQueen`: visit the points one by one and update the two centres involved as soon as a
  point changes cluster (incremental means).
* :class:`HartiganWong` (Algorithm AS 136, R's default): move a point from cluster ``n`` to ``m``
  whenever that lowers ``phi(S_n) + phi(S_m)``, i.e. when
  ``n_m/(n_m+1) ||x-c_m||^2 < n_n/(n_n-1) ||x-c_n||^2``; see :mod:`course_utils._sequential`.

Given the same data and initial centres the estimators give R's labels, sums of squares and
``iter`` (checked against fixtures written by R in ``tests/fixtures/kmeans``). Defaults are R's:
``init="random"`` (k distinct data rows), ``n_init=1`` (``nstart``), ``max_iter=10`` (``iter.max``).
"""
from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.cluster import kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning

from ..validation import check_data, check_int, check_n_clusters, check_random_state
from ..validation import check_fitted as check_is_fitted
from ._lloyd_steps import InOrderSums, NearestCentre, one_blas_thread
from ._sequential import _withinss, compiled, hartigan_wong, macqueen

__all__ = ["Lloyd", "MacQueen", "HartiganWong", "transfer_change", "restarts", "nearest_center"]

# ---------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------
def nearest_center(X, centers) -> np.ndarray:
    """Index of the nearest centre for every row of ``X`` (ties: the lowest index, as R).

    Distances come from one matrix product per block of points (``-2 C X^T + ||c||^2``; the
    ``||x||^2`` term does not change the argmin), taken in single precision as a filter. Where
    several centres are within that product's rounding bound of the nearest, the distances are
    recomputed exactly, column by column, so that the decision is the one R's loops make (see
    :mod:`course_utils._lloyd_steps`).

    Parameters
    ----------
    X : array (n, p)
    centers : array (k, p)
    """
    X = check_data(X)
    C = check_data(centers, name="centers", n_features=X.shape[1])
    return NearestCentre(X)(C)


def _empty_error(counts: np.ndarray, when: str) -> ValueError:
    empty = ", ".join(str(j) for j in np.flatnonzero(counts == 0))
    return ValueError(f"empty cluster: try a better set of initial centers (cluster(s) {empty} "
                      f"lost all their points {when}).")


#: Below this many multiply-adds per pass (n k p) Lloyd runs as R's plain loops, compiled: the
#: matrix-product filter and its threads only pay on bigger problems.
SMALL_LLOYD = 2**15


class _LazyNearest:
    """A :class:`NearestCentre` built on its first call (the compiled kernels do not need one)."""

    def __init__(self, X: np.ndarray):
        self.X, self._f = X, None

    def __call__(self, C: np.ndarray) -> np.ndarray:
        if self._f is None:
            self._f = NearestCentre(self.X)
        return self._f(C)


def _lloyd(X, C, max_iter, nearest):
    """R's ``kmeans_Lloyd``: returns labels, centres, iter (R's count), ifault."""
    n = X.shape[0]
    k = C.shape[0]
    kernels = compiled()
    if kernels is not None and n * k * X.shape[1] <= SMALL_LLOYD:
        labels, C, it, ifault, bad_pass, counts = kernels["lloyd"](
            np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(C, dtype=np.float64),
            int(max_iter))
        if ifault == 3:
            raise _empty_error(counts, f"in Lloyd iteration {bad_pass}")
        return labels.astype(np.intp, copy=False), C, int(it), int(ifault)
    labels = np.full(n, -1, dtype=np.intp)
    sums = InOrderSums(X, k)
    for it in range(max_iter):
        new = nearest(C)
        if np.array_equal(new, labels):
            return labels, C, it + 1, 0
        labels = new
        counts = np.bincount(labels, minlength=k)
        if np.any(counts == 0):
            raise _empty_error(counts, f"in Lloyd iteration {it + 1}")
        C = sums(labels) / counts[:, None]
    return labels, C, max_iter + 1, 2


def transfer_change(x, center_from, n_from: int, center_to, n_to: int) -> float:
    """Change of the WCSS when point ``x`` moves from its cluster to another one (Hartigan's test).

    Removing ``x`` from a cluster of ``n_from`` points with mean ``c_from`` lowers that cluster's
    sum of squares by ``n_from/(n_from-1) ||x - c_from||^2``; adding it to a cluster of ``n_to``
    points with mean ``c_to`` raises that one by ``n_to/(n_to+1) ||x - c_to||^2``. The move pays off
    when the returned value is negative.

    Parameters
    ----------
    x : array (d,)
        The point.
    center_from : array (d,)
        The mean of its cluster.
    n_from : int
        The size of its cluster (at least 2).
    center_to : array (d,)
        The mean of the other cluster.
    n_to : int
        The size of the other cluster (at least 1).
    """
    x = check_data(np.atleast_1d(x), name="x", ndim=1)
    cf = check_data(np.atleast_1d(center_from), name="center_from", ndim=1)
    ct = check_data(np.atleast_1d(center_to), name="center_to", ndim=1)
    if not (x.shape == cf.shape == ct.shape):
        raise ValueError(f"x, center_from and center_to must have the same length, got "
                         f"{x.shape[0]}, {cf.shape[0]} and {ct.shape[0]}.")
    for name, v, lo in (("n_from", n_from, 2), ("n_to", n_to, 1)):
        check_int(v, name, minimum=lo, hint=" (a point alone in its cluster is never moved)" if lo == 2 else "")
    return float(n_to / (n_to + 1) * ((x - ct) ** 2).sum() - n_from / (n_from - 1) * ((x - cf) ** 2).sum())


# ---------------------------------------------------------------------------------------------
# the estimators
# ---------------------------------------------------------------------------------------------
def _distinct_rows(X: np.ndarray) -> np.ndarray:
    """The distinct rows of X in order of first appearance (R's ``unique(x)``)."""
    _, first = np.unique(X, axis=0, return_index=True)
    return X[np.sort(first)]


def _check_k_distinct(k: int, X: np.ndarray) -> None:
    """Raise when k exceeds the distinct rows; a cheap projection usually proves it does not."""
    if k <= 1:
        return
    proj = np.sort(X @ (1.0 + np.arange(X.shape[1]) / X.shape[1]))
    if np.count_nonzero(proj[1:] != proj[:-1]) + 1 >= k:   # distinct projections => distinct rows
        return
    check_n_clusters(k, X)


class _RKMeans(ClusterMixin, BaseEstimator):
    """Shared machinery: validation, initialisation, restarts and R's summary attributes."""

    _r_name = ""

    def __init__(self, n_clusters: int = 3, *, init="random", n_init: int = 1, max_iter: int = 10,
                 random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    # -- initial centres --------------------------------------------------------------------
    def _initial_centers(self, X: np.ndarray, k: int, rng, distinct: list) -> np.ndarray:
        init = self.init
        if isinstance(init, str):
            if init == "random":
                if not distinct:
                    distinct.append(_distinct_rows(X))
                pool = distinct[0]
                return pool[rng.choice(pool.shape[0], size=k, replace=False)].copy()
            if init == "k-means++":
                return kmeans_plusplus(X, k, random_state=rng)[0]
            raise ValueError(f"init must be 'random', 'k-means++' or an array of initial centres, "
                             f"got {init!r}.")
        return self._check_init_array(init, X, k)

    @staticmethod
    def _check_init_array(init, X: np.ndarray, k: int) -> np.ndarray:
        C = check_data(init, name="init")
        if C.shape != (k, X.shape[1]):
            raise ValueError(f"init must have shape (n_clusters, n_features) = ({k}, {X.shape[1]}), "
                             f"got {C.shape}: one row per initial centre, one column per feature.")
        if k > X.shape[0]:
            raise ValueError(f"more cluster centers than data points ({k} > {X.shape[0]}).")
        if k * k * X.shape[1] <= 2**20:                   # few centres: compare all pairs
            first = (C[:, None, :] == C[None, :, :]).all(axis=2).argmax(axis=1)
        else:
            _, idx, inverse = np.unique(C, axis=0, return_index=True, return_inverse=True)
            first = idx[np.asarray(inverse).ravel()]
        dups = np.flatnonzero(first != np.arange(k))      # rows equal to an earlier row
        if dups.size:
            dup = int(dups[0])
            raise ValueError(f"initial centers are not distinct: row {dup} of init repeats row "
                             f"{first[dup]}; give k different centres.")
        return C.copy()

    # -- fitting ------------------------------------------------------------------------------
    def _run(self, X, C, max_iter, nearest):  # pragma: no cover - overridden
        raise NotImplementedError

    def fit(self, X, y=None):
        """Cluster ``X`` (n, p); ``y`` is ignored (scikit-learn convention)."""
        X = check_data(X)
        k = check_n_clusters(self.n_clusters)
        max_iter = check_int(self.max_iter, "max_iter (R's iter.max)", minimum=1)
        n_init = check_int(self.n_init, "n_init (R's nstart)", minimum=1)
        if k > X.shape[0]:
            raise ValueError(f"n_clusters={k} is more than the {X.shape[0]} data points; "
                             f"choose n_clusters <= {X.shape[0]}.")
        _check_k_distinct(k, X)
        if not isinstance(self.init, str):
            n_init = 1                                    # as R: nstart is ignored for given centres
        rng = check_random_state(self.random_state)
        nearest = _LazyNearest(X)
        distinct: list = []
        best = None
        errors = []
        with one_blas_thread(X.shape[0] * k):
            for _ in range(n_init):
                C0 = self._initial_centers(X, k, rng, distinct)
                try:
                    res = self._run(X, C0, max_iter, nearest)
                except ValueError as exc:                 # an empty cluster in one of several starts
                    if n_init == 1:
                        raise
                    errors.append(str(exc))
                    continue
                wss = _withinss(X, res[0], res[1], k)
                if best is None or wss.sum() < best[-1].sum():
                    best = (*res, C0, wss)
        if best is None:
            raise ValueError(f"all {n_init} starts ended with an empty cluster, e.g.: {errors[0]}")
        labels, centers, n_iter, ifault, *extra, C0, wss = best
        if ifault == 2:
            warnings.warn(f"{type(self).__name__} did not converge in {max_iter} iterations; "
                          f"raise max_iter (R's iter.max).", ConvergenceWarning, stacklevel=2)
        elif ifault == 4:
            warnings.warn(f"Quick-TRANSfer stage steps exceeded maximum (= {50 * X.shape[0]}).",
                          ConvergenceWarning, stacklevel=2)
        self.labels_ = labels
        self.cluster_centers_ = centers
        self.n_iter_ = int(n_iter)
        self.converged_ = ifault == 0
        self.init_centers_ = C0
        self.size_ = np.bincount(labels, minlength=k)
        self.withinss_ = wss
        self.inertia_ = float(wss.sum())
        D = X - X.mean(axis=0)
        self.total_ss_ = float(np.einsum("ij,ij->", D, D))
        self.between_ss_ = self.total_ss_ - self.inertia_
        self.n_features_in_ = X.shape[1]
        self._store_extra(extra)
        return self

    def _store_extra(self, extra) -> None:
        pass

    def predict(self, X) -> np.ndarray:
        """The nearest learned centre for each row of ``X`` (ties: the lowest index)."""
        check_is_fitted(self, "cluster_centers_")
        X = check_data(X, n_features=self.n_features_in_)
        return NearestCentre(X)(self.cluster_centers_)

    def summary(self) -> str:
        """R's printout in one line: sizes and ``between_SS / total_SS``."""
        check_is_fitted(self, "cluster_centers_")
        return (f"{self._r_name}: {len(self.size_)} clusters of sizes "
                f"{', '.join(map(str, self.size_))}; WCSS {self.inertia_:.5f}; "
                f"between_SS / total_SS = {100 * self.between_ss_ / self.total_ss_:5.1f} %; "
                f"iter {self.n_iter_}")


class Lloyd(_RKMeans):
    """k-means by Lloyd's (Lloyd-Forgy) algorithm, as R's ``kmeans(algorithm = "Lloyd")``.

    Each iteration assigns every point to its nearest centre, then moves each centre to the mean
    of its points; it stops when no label changes (``n_iter_`` counts that last, confirming pass,
    as R's ``iter`` does).

    Parameters
    ----------
    n_clusters : int
    init : {"random", "k-means++"} or array (n_clusters, n_features)
        "random" picks ``n_clusters`` distinct data rows, as R does for ``centers = k``.
    n_init : int, the number of starts (R's ``nstart``); ignored for an array ``init``
    max_iter : int, R's ``iter.max`` (default 10, R's default)
    random_state : int, RandomState or None

    Attributes
    ----------
    labels_, cluster_centers_, inertia_ (total WCSS), n_iter_ (R's ``iter``), converged_,
    size_, withinss_, total_ss_, between_ss_ (R's summary), init_centers_
    """

    _r_name = "Lloyd"

    def _run(self, X, C, max_iter, nearest):
        return _lloyd(X, C, max_iter, nearest)


class MacQueen(_RKMeans):
    """k-means by MacQueen's algorithm, as R's ``kmeans(algorithm = "MacQueen")``.

    After one assignment of all points, the points are visited in turn and a point that is
    nearer another centre moves there at once, updating both centres as running means.
    Parameters and attributes as :class:`Lloyd`.
    """

    _r_name = "MacQueen"

    def _run(self, X, C, max_iter, nearest):
        return macqueen(X, C, max_iter, nearest)


class HartiganWong(_RKMeans):
    """k-means by Hartigan & Wong's Algorithm AS 136, R's default ``kmeans`` algorithm.

    A point moves from cluster ``n`` to cluster ``m`` when that lowers the WCSS, i.e. when
    ``n_m/(n_m+1) ||x-c_m||^2 < n_n/(n_n-1) ||x-c_n||^2`` (see :func:`transfer_change`), with
    AS 136's optimal-transfer and quick-transfer stages. Parameters and attributes as
    :class:`Lloyd`, plus ``transfers_``: every move of the chosen run as
    ``(iteration, stage, point, from, to)``.

    As in R, ``n_clusters=1`` runs MacQueen (AS 136 needs two clusters) and ``n_clusters``
    must be smaller than the number of points.
    """

    _r_name = "Hartigan-Wong"

    def _run(self, X, C, max_iter, nearest):
        k = C.shape[0]
        if k == 1:
            return (*macqueen(X, C, max_iter, nearest), [])
        if k >= X.shape[0]:
            raise ValueError(f"number of cluster centres must lie between 1 and nrow(x) - 1 for "
                             f"Hartigan-Wong: got {k} centres for {X.shape[0]} points.")
        return hartigan_wong(X, C, max_iter, trace=True)

    def _store_extra(self, extra) -> None:
        self.transfers_ = list(extra[0]) if extra else []


def restarts(estimator: _RKMeans, X, n_starts: int = 1000, *, random_state: int = 0) -> np.ndarray:
    """Final WCSS of ``n_starts`` single runs from random distinct data rows (R's ``centers = k``).

    Each start draws its own centres; a start that ends with an empty cluster gives ``nan``.
    Non-convergence warnings are silenced (the runs are compared as they stop).

    Parameters
    ----------
    estimator : Lloyd, MacQueen or HartiganWong
        The model to run (its ``n_clusters`` and algorithm).
    X : array (n, d)
        The data.
    n_starts : int
        The number of runs.
    random_state : int
        The seed of the starts.

    Returns
    -------
    ndarray (n_starts,) of total within-cluster sums of squares.
    """
    X = check_data(X)
    n_starts = check_int(n_starts, "n_starts", minimum=1)
    k = check_n_clusters(estimator.n_clusters, X)
    pool = _distinct_rows(X)
    rng = check_random_state(random_state)
    est = clone(estimator)
    out = np.full(n_starts, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for s in range(n_starts):
            est.set_params(init=pool[rng.choice(pool.shape[0], size=k, replace=False)], n_init=1)
            try:
                out[s] = est.fit(X).inertia_
            except ValueError:
                pass
    return out
