"""Target functions for clustering with a neural network (lectures 02–05).

A *target function* is an ordinary Keras loss ``loss(y_true, y_pred)`` whose minimum is a good
clustering. ``y_true`` is a dummy (the data have no targets); the loss only looks at the
network's output ``y_pred`` for the **whole data set as one batch**, in the data's row order
(:func:`course_utils.targets.train.fit_clustering` guarantees both).

Everything inside the losses is written with :mod:`keras.ops`, so they run under any Keras
backend (a sparse nearness matrix stays sparse under TensorFlow and JAX; other backends get a dense
copy). Checking a *custom* target (:func:`course_utils.targets.assignment.check_target`) needs
TensorFlow. The matrix forms here never build the lecture's ``(N, N, K)`` broadcast:

* :func:`centroid_loss` — mean squared distance of each point to the nearest of the K centres
  that the network emits (lecture 02).
* :func:`proximity_loss` — minus the nearness-weighted average co-membership (lecture 000 form).
* :func:`normalized_proximity_loss` — ``-Σ_k p_kᵀ M p_k / Σ_n p_nk`` (lecture 001 form).

The nearness matrix ``M`` is built by :func:`nearness_matrix`, dense (memory O(N²)) or as a
sparse k-nearest-neighbour graph (memory O(N·k)). Lecture 05's connectivity losses —
:func:`ncut_loss`, :func:`spectral_loss`, :func:`iic_loss` on a :func:`knn_graph` — are importable
from here too; they live in :mod:`course_utils.targets.graph_losses`. The shared pieces (:class:`ClusteringLoss`,
:data:`EPS`) live in :mod:`course_utils.targets.base`. The lectures' original broadcast programs are
kept, for comparison only, in :mod:`course_utils.targets.losses_lecture`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from keras import ops
from scipy import sparse as sp

from ..validation import check_data, check_n_clusters, check_n_neighbors, check_positive
from .base import EPS, ClusteringLoss, _check_nearness, _to_backend
from .graph_losses import embedding_labels, iic_loss, knn_graph, ncut_loss, spectral_loss

__all__ = ["squared_distances", "rational", "gaussian", "threshold", "KERNELS", "nearness_matrix",
           "ClusteringLoss", "centroid_loss", "proximity_loss", "normalized_proximity_loss",
           "EPS", "knn_graph", "ncut_loss", "spectral_loss", "iic_loss", "embedding_labels"]



# ----------------------------------------------------------------------------------------------
# distances and nearness kernels (NumPy: the nearness matrix is data, not a trained quantity)
# ----------------------------------------------------------------------------------------------
def squared_distances(X, Y=None) -> np.ndarray:
    """Pairwise squared Euclidean distances ``‖x_n − y_m‖²`` as an (N, M) array.

    Uses ``‖x‖² + ‖y‖² − 2 x·y`` (memory O(N·M), not the lecture's (N, N, D) broadcast) and
    clips the round-off negatives to 0; the diagonal of ``squared_distances(X)`` is exactly 0.

    Parameters
    ----------
    X : array-like of shape (N, D)
        The points.
    Y : array-like of shape (M, D), optional
        Other points (default: ``X``).

    Returns
    -------
    ndarray of shape (N, M)
    """
    X = check_data(X)
    same = Y is None
    Y = X if same else check_data(Y, name="Y", n_features=X.shape[1])
    d = (X * X).sum(1)[:, None] + (Y * Y).sum(1)[None, :] - 2.0 * X @ Y.T
    np.maximum(d, 0.0, out=d)
    if same:
        np.fill_diagonal(d, 0.0)
    return d


def rational(d, a: float = 0.01) -> np.ndarray:
    """Nearness ``a / (d + a)`` of squared distance ``d``: 1 at d = 0, ½ at d = a, → 0 far away.

    Parameters
    ----------
    d : array-like
        Squared distances.
    a : float
        The squared distance at which the nearness is ½.

    Returns
    -------
    ndarray
    """
    a = check_positive(a, "a")
    d = np.asarray(d, dtype=np.float64)
    return a / (d + a)


def gaussian(d, beta: float = 10.0) -> np.ndarray:
    """Nearness ``exp(−beta·d)`` of squared distance ``d`` (the lecture uses beta = 10).

    Parameters
    ----------
    d : array-like
        Squared distances.
    beta : float
        Decay rate.

    Returns
    -------
    ndarray
    """
    beta = check_positive(beta, "beta")
    return np.exp(-beta * np.asarray(d, dtype=np.float64))


def threshold(d, t: float = 0.1) -> np.ndarray:
    """Hard nearness: 1 where the squared distance ``d <= t``, else 0.

    Parameters
    ----------
    d : array-like
        Squared distances.
    t : float
        The largest squared distance that counts as near.

    Returns
    -------
    ndarray
    """
    t = check_positive(t, "t", strict=False)
    return (np.asarray(d, dtype=np.float64) <= t).astype(np.float64)


#: Kernels by name, for :func:`nearness_matrix`. ``"eye"`` is the limit threshold(t=0): M = I.
KERNELS: dict[str, Callable[..., np.ndarray]] = {"rational": rational, "gaussian": gaussian,
                                                 "threshold": threshold}


def nearness_matrix(X, kernel: str | Callable = "rational", *, n_neighbors: int | None = None,
                    **params: float) -> np.ndarray | sp.csr_matrix:
    """The nearness (proximity) matrix ``M[n, m] = kernel(‖x_n − x_m‖²)`` of the data.

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    kernel : {"rational", "gaussian", "threshold", "eye"} or callable
        A callable maps an array of squared distances to nearness values in [0, ∞) and must
        give 0 for far points. ``"eye"`` ignores the distances: ``M = I`` (each point is near
        only to itself — the lecture's "unexpected result").
    n_neighbors : int, optional
        If given, return a **sparse** (CSR) matrix that keeps only each point's ``n_neighbors``
        nearest neighbours (scikit-learn's ``kneighbors_graph``), symmetrised and with the
        diagonal: memory O(N·k) instead of O(N²). With ``n_neighbors = N − 1`` it equals the
        dense matrix.
    **params
        The kernel's parameter: ``a`` (rational), ``beta`` (gaussian) or ``t`` (threshold).

    Returns
    -------
    ndarray (N, N) or scipy.sparse.csr_matrix (N, N), symmetric, non-negative.
    """
    X = check_data(X, min_samples=2)
    n = X.shape[0]
    if isinstance(kernel, str):
        if kernel == "eye":
            if params:
                raise ValueError(f"the 'eye' kernel takes no parameters, got {sorted(params)}.")
            return sp.identity(n, format="csr") if n_neighbors is not None else np.eye(n)
        if kernel not in KERNELS:
            raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(KERNELS) + ['eye']} "
                             f"or pass a function of the squared distance.")
        fn = KERNELS[kernel]
    elif callable(kernel):
        fn = kernel
    else:
        raise ValueError(f"kernel must be a name or a function, got {kernel!r}.")

    def apply(d):
        out = np.asarray(fn(d, **params), dtype=np.float64)
        if out.shape != np.shape(d) or not np.all(np.isfinite(out)) or np.any(out < 0):
            raise ValueError("the kernel must return one finite, non-negative value per distance.")
        return out

    if n_neighbors is None:
        return apply(squared_distances(X))

    from sklearn.neighbors import kneighbors_graph

    G = kneighbors_graph(X, check_n_neighbors(n_neighbors, n), mode="distance", include_self=False).tocsr()
    G.data = apply(G.data ** 2)         # explicit zeros (duplicate points) become kernel(0)
    M = G.maximum(G.T).tolil()          # symmetrise: near if either is among the other's k
    M.setdiag(apply(np.zeros(n)))       # every point is near to itself
    M = M.tocsr()
    M.eliminate_zeros()
    return M


# ----------------------------------------------------------------------------------------------
# the losses
# ----------------------------------------------------------------------------------------------
class _CentroidLoss(ClusteringLoss):
    def __init__(self, X: np.ndarray, n_clusters: int):
        super().__init__(None, X.shape[1] * n_clusters, "centroid_loss")
        self.n_clusters = n_clusters
        self.dim = X.shape[1]
        self.X = ops.convert_to_tensor(X.astype(np.float32))

    def target(self, y_pred):
        centres = ops.reshape(ops.mean(y_pred, axis=0), (self.n_clusters, self.dim))   # (K, D)
        diff = ops.expand_dims(self.X, 1) - ops.expand_dims(centres, 0)                 # (N, K, D)
        d2 = ops.sum(ops.square(diff), axis=-1)                                          # (N, K)
        return ops.mean(ops.min(d2, axis=1))


def centroid_loss(X, n_clusters: int) -> ClusteringLoss:
    """The lecture-02 target: mean squared distance of each point to its nearest centre.

    The network emits ``D·K`` numbers per point; their mean over the batch, reshaped to (K, D),
    is read as the K centres. The loss is ``mean_n min_k ‖x_n − c_k‖²`` = k-means inertia / N.
    The data ``X`` are bound into the loss (the lecture's global ``DataN``); the centres come
    from the batch mean, so the row order of the batch does not matter here.

    Parameters
    ----------
    X : array (N, D) — the data the network is trained on
    n_clusters : int >= 1

    Returns
    -------
    A Keras loss ``loss(y_true, y_pred)`` for ``model.compile(loss=...)``; ``y_pred`` is (N, D·K).
    """
    X = check_data(X)
    k = check_n_clusters(n_clusters, X)
    return _CentroidLoss(X, k)


def _proba_sums(P):
    return ops.sum(P, axis=0)                        # (K,) soft cluster sizes s_k


class _ProximityLoss(ClusteringLoss):
    """Lecture 000: ``-mean_n Σ_m M_nm C_nm / Σ_m C_nm`` with co-membership ``C = P Pᵀ``."""

    def __init__(self, M, n_clusters: int, name="proximity_loss"):
        super().__init__(M.shape[0], n_clusters, name)
        self.n_clusters = n_clusters
        self.sparse = sp.issparse(M)
        self.M = _to_backend(M)

    def target(self, P):
        MP = ops.matmul(self.M, P)                                   # (N, K): Σ_m M_nm p_mk
        num = ops.sum(P * MP, axis=1)                                # Σ_m M_nm C_nm
        den = ops.sum(P * ops.expand_dims(_proba_sums(P), 0), axis=1)  # Σ_m C_nm = Σ_k p_nk s_k
        return -ops.mean(num / ops.maximum(den, EPS))


class _NormalizedProximityLoss(_ProximityLoss):
    """Lecture 001: ``-Σ_k p_kᵀ M p_k / Σ_n p_nk``."""

    def target(self, P):
        MP = ops.matmul(self.M, P)                                   # (N, K)
        quad = ops.sum(P * MP, axis=0)                               # p_kᵀ M p_k, (K,)
        return -ops.sum(quad / ops.maximum(_proba_sums(P), EPS))     # empty cluster → 0, not NaN


def proximity_loss(nearness, n_clusters: int) -> ClusteringLoss:
    """Lecture-000 target: minus the nearness-weighted average co-membership.

    With memberships ``P`` (N, K) (rows sum to 1) the co-membership ``C = P Pᵀ`` is the
    probability that two points share a cluster, and

    ``loss = − (1/N) Σ_n  Σ_m M_nm C_nm / Σ_m C_nm``.

    Computed as ``Σ_k P ⊙ (M P)`` and ``P s`` with ``s = Σ_n p_n`` — never the (N, N, K)
    broadcast: memory O(N²) for a dense ``M``, O(N·k) for a sparse one.

    Parameters
    ----------
    nearness : array (N, N) or scipy.sparse matrix — see :func:`nearness_matrix`
    n_clusters : int >= 2 — the number of columns of the network's output
    """
    M = _check_nearness(nearness)
    k = check_n_clusters(n_clusters, minimum=2)
    return _ProximityLoss(M, k)


def normalized_proximity_loss(nearness, n_clusters: int) -> ClusteringLoss:
    """Lecture-001 target: ``− Σ_k p_kᵀ M p_k / Σ_n p_nk``.

    For each cluster the nearness-weighted count of pairs inside it, divided by its soft size.
    The same number as the lecture's (N, N, K) broadcast, computed as one product ``M @ P``. An
    empty or vanishing cluster contributes 0 (its denominator is guarded by :data:`EPS`).

    Parameters
    ----------
    nearness : array (N, N) or scipy.sparse matrix — see :func:`nearness_matrix`
    n_clusters : int >= 2 — the number of columns of the network's output
    """
    M = _check_nearness(nearness)
    k = check_n_clusters(n_clusters, minimum=2)
    return _NormalizedProximityLoss(M, k, name="normalized_proximity_loss")
