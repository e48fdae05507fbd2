"""Target functions that encode *connectivity* instead of distance (lecture 05).

Distance losses (the centroid loss, k-means' WCSS) prefer compact, round clusters; on two moons
the true split has a *larger* WCSS than a wrong straight cut, so no such loss can find it. The
losses here look at a sparse **k-nearest-neighbour graph** ``W`` of the data instead: two points
belong together when a chain of near neighbours joins them.

* :func:`ncut_loss` — soft normalised cut ``Σ_k p_kᵀ W (1 − p_k) / p_kᵀ d`` plus a balance term
  that keeps it from putting everything into one cluster.
* :func:`spectral_loss` — SpectralNet-style: the network emits an embedding ``Y``; inside the loss
  it is made D-orthonormal with a Cholesky factor and ``trace(Yᵀ L Y)`` is minimised
  (``L = D − W``); k-means on the embedding gives the labels.
* :func:`iic_loss` — IIC-style: minus the mutual information between the cluster of a point and
  the cluster of its graph neighbour.

All three only need ``W @ P`` (a sparse × dense product): memory and time O(N·k·K), so
N = 10 000 points train in seconds. Empty clusters never give NaN: every denominator is guarded
by :data:`course_utils.targets.losses.EPS`.
"""
from __future__ import annotations

import numpy as np
from keras import ops
from scipy import sparse as sp

from ..validation import check_data, check_int, check_n_clusters, check_n_neighbors, check_positive
from .base import EPS, ClusteringLoss, _check_nearness, _to_backend

__all__ = ["knn_graph", "GraphLoss", "ncut_loss", "spectral_loss", "iic_loss", "embedding_labels"]


def knn_graph(X, n_neighbors: int = 10, *, weights: str = "connectivity") -> sp.csr_matrix:
    """A symmetric sparse k-nearest-neighbour graph ``W`` (CSR, no self loops).

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    n_neighbors : int
        Each point is joined to its ``n_neighbors`` nearest points; the graph is symmetrised (an
        edge when either point is among the other's neighbours).
    weights : {"connectivity", "gaussian", "snn"}
        ``"connectivity"``: every edge weighs 1 (no scale to choose). ``"gaussian"``: self-tuning
        weights ``exp(−d²ᵢⱼ / (σᵢ σⱼ))`` with ``σᵢ`` the distance to point i's k-th neighbour
        (Zelnik-Manor & Perona), so dense and sparse regions are treated alike. ``"snn"``
        (shared nearest neighbours, what :func:`course_utils.cluster` uses by default): an edge
        weighs ``(s / (k + 1))²``, ``s`` the number of points in both k-neighbourhoods (each point
        counted in its own), so an edge across a thin bridge between two groups weighs little.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape (N, N), symmetric, non-negative, zero diagonal; memory O(N·k).
    """
    from sklearn.neighbors import kneighbors_graph

    X = check_data(X, min_samples=3)
    k = check_n_neighbors(n_neighbors, X.shape[0])
    if weights not in ("connectivity", "gaussian", "snn"):
        raise ValueError(f"weights must be 'snn', 'connectivity' or 'gaussian', got {weights!r}.")
    G = kneighbors_graph(X, k, mode="distance", include_self=False).tocsr()
    if weights == "snn":
        A = G.copy()
        A.data = np.ones_like(A.data)
        A = (A + sp.identity(A.shape[0], format="csr")).tocsr()     # each point's k-neighbourhood
        mask = A.maximum(A.T).tocsr()                                # the edges of the kNN graph
        S = (A @ A.T).multiply(mask).tocsr()                         # shared neighbours, on edges only
        S.data = (S.data / (k + 1)) ** 2
        G = S.tocsr()
    elif weights == "connectivity":
        G.data = np.ones_like(G.data)
    else:
        sigma = np.maximum(G.max(axis=1).toarray().ravel(), 1e-12)      # distance to the k-th
        coo = G.tocoo()
        G = sp.csr_matrix((np.exp(-coo.data ** 2 / (sigma[coo.row] * sigma[coo.col])),
                           (coo.row, coo.col)), shape=G.shape)
    W = G.maximum(G.T).tocsr()
    W.setdiag(0.0)
    W.eliminate_zeros()
    return W


class GraphLoss(ClusteringLoss):
    """Base class of the graph losses: holds ``W`` (sparse tensor) and the degrees ``d = W 1``.

    Their ``target`` also takes a stack of outputs (N, R, d) — one per restart — and returns the R
    values: all restarts' graph products are one ``W @ (N, R·d)`` and the rest runs batched.
    """

    batched = True

    def __init__(self, W, output_dim: int, name: str):
        W = _check_nearness(W, "graph W")
        super().__init__(W.shape[0], output_dim, name)
        deg = np.asarray(W.sum(axis=1)).ravel()
        if np.any(deg <= 0):
            raise ValueError(f"graph W has {int(np.sum(deg <= 0))} isolated point(s) (a row of zeros); "
                             f"use more neighbours or remove duplicate/outlying points.")
        self.W_host = W
        self.W = _to_backend(W)
        self.degree_host = deg
        self.degree = ops.convert_to_tensor(deg.astype(np.float32))
        self.volume = float(deg.sum())
        self._slots = None

    def _graph(self):
        """``(W, degree, volume)`` as the target uses them: constants, or reads of the graph
        variables after :meth:`bind_graph_variables` (then a traced train step reads whatever
        graph was assigned last, and need not be traced again for another graph)."""
        if self._slots is None:
            return self.W, self.degree, self.volume
        import tensorflow as tf

        idx, val, deg, vol = self._slots
        if idx is None:                                  # dense: val is the (N, N) matrix
            return val.value(), deg.value(), vol.value()
        return tf.SparseTensor(idx, val, (self.n_samples, self.n_samples)), deg.value(), vol.value()

    def bind_graph_variables(self, dense: bool = False) -> None:
        """Hold ``W``, the degrees and the volume in TensorFlow variables instead of constants.

        Same values, same sparse product, so the same results; but a train function traced
        once with this loss can be reused for another graph of the same size
        (:meth:`assign_graph`). TensorFlow backend only (the cache of
        :func:`course_utils.clustering.fit_cluster` uses it).
        """
        import tensorflow as tf

        if dense:
            Wd = tf.Variable(self.W_host.toarray().astype(np.float32) if hasattr(self.W_host, "toarray")
                             else np.asarray(self.W_host, dtype=np.float32), trainable=False)
            self._slots = (None, Wd, tf.Variable(self.degree, trainable=False),
                           tf.Variable(self.volume, dtype=tf.float32, trainable=False))
            return
        W = self.W if isinstance(self.W, tf.SparseTensor) else tf.sparse.from_dense(self.W)
        self._slots = (tf.Variable(W.indices, shape=tf.TensorShape([None, 2]), trainable=False),
                       tf.Variable(W.values, shape=tf.TensorShape([None]), trainable=False),
                       tf.Variable(self.degree, trainable=False),
                       tf.Variable(self.volume, dtype=tf.float32, trainable=False))

    def assign_graph(self, other: "GraphLoss") -> None:
        """Copy the graph of ``other`` (a loss of the same class and size) into the variables."""
        import tensorflow as tf

        if self._slots is None:
            raise ValueError("assign_graph needs bind_graph_variables() first.")
        if type(other) is not type(self) or other.n_samples != self.n_samples:
            raise ValueError(f"assign_graph needs a {type(self).__name__} on {self.n_samples} points, "
                             f"got {type(other).__name__} on {other.n_samples}.")
        idx, val, deg, vol = self._slots
        if idx is None:
            val.assign(other.W_host.toarray().astype(np.float32) if hasattr(other.W_host, "toarray")
                       else np.asarray(other.W_host, dtype=np.float32))
        else:
            W = other.W if isinstance(other.W, tf.SparseTensor) else tf.sparse.from_dense(other.W)
            idx.assign(W.indices)
            val.assign(W.values)
        deg.assign(other.degree)
        vol.assign(other.volume)


def _wmul(W, Y):
    """``W @ Y`` for one output (N, d) or a stack of restarts (N, R, d), as one (sparse) product."""
    if len(Y.shape) == 2:
        return ops.matmul(W, Y)
    width = int(np.prod(Y.shape[1:]))                                   # R·d, static
    return ops.reshape(ops.matmul(W, ops.reshape(Y, (-1, width))), ops.shape(Y))


def _t(A):
    """The transpose of the last two axes (a matrix, or a stack of them)."""
    return ops.swapaxes(A, -1, -2)


def _per_point(v, Y):
    """The per-point vector ``v`` (N,) shaped to multiply ``Y`` (N, d) or (N, R, d) row by row."""
    return ops.reshape(v, (-1,) + (1,) * (len(Y.shape) - 1))


def _gram(A, B):
    """``Aᵀ B`` over the points: (d, e), or (R, d, e) for stacks (N, R, d) and (N, R, e)."""
    return ops.einsum("n...i,n...j->...ij", A, B)


def _balance(P):
    """KL(mean membership ‖ uniform) = log K − H(mean p): 0 for equal sizes, log K for one cluster."""
    k = ops.shape(P)[-1]
    pi = ops.mean(P, axis=0)
    return ops.log(ops.cast(k, "float32")) + ops.sum(pi * ops.log(ops.maximum(pi, EPS)), axis=-1)


class _NCutLoss(GraphLoss):
    def __init__(self, W, n_clusters: int, balance: float):
        super().__init__(W, n_clusters, "ncut_loss")
        self.n_clusters = n_clusters
        self.balance = balance

    def target(self, P):
        W, degree, _ = self._graph()
        WP = _wmul(W, P)                                            # (N, K)
        assoc = ops.sum(P * WP, axis=0)                             # p_kᵀ W p_k
        vol = ops.sum(P * _per_point(degree, P), axis=0)            # p_kᵀ d
        ncut = ops.sum((vol - assoc) / ops.maximum(vol, EPS), axis=-1)   # Σ_k cut_k / vol_k
        return ncut + self.balance * _balance(P)


def ncut_loss(W, n_clusters: int, *, balance: float = 1.0) -> ClusteringLoss:
    """Soft normalised cut on a graph, with a balance term against one big cluster.

    With memberships ``P`` (N, K), ``p_k`` its k-th column and degrees ``d = W 1``::

        loss = Σ_k p_kᵀ W (1 − p_k) / p_kᵀ d  +  balance · (log K − H(mean_n p_n))

    The first term is the normalised cut: the weight of the edges leaving cluster k over the
    cluster's volume; it is 0 when no edge crosses between clusters. Alone it has a trivial
    minimum — every point in one cluster, the others empty, cut 0 — and the empty clusters
    contribute 0 (guarded denominator), so the second term, the KL divergence of the cluster
    sizes from uniform, is what keeps K clusters alive.

    Parameters
    ----------
    W : array or scipy.sparse matrix (N, N) — e.g. :func:`knn_graph`
    n_clusters : int >= 2
    balance : float >= 0 — weight of the size term (0: the plain soft ncut)
    """
    k = check_n_clusters(n_clusters, minimum=2)
    balance = check_positive(balance, "balance", strict=False)
    return _NCutLoss(W, k, balance)


class _SpectralLoss(GraphLoss):
    def __init__(self, W, dim: int, jitter: float):
        super().__init__(W, dim, "spectral_loss")
        self.dim = dim
        self.jitter = jitter

    def orthonormalize(self, Y):
        """``Y R⁻ᵀ`` with ``R Rᵀ = Yᵀ D Y / vol`` (Cholesky): then ``Ỹᵀ D Ỹ = vol · I``."""
        _, degree, volume = self._graph()
        G = _gram(Y, Y * _per_point(degree, Y)) / volume
        scale = ops.trace(G, axis1=-2, axis2=-1) / self.dim + EPS  # jitter relative to G's size
        G = G + (self.jitter * ops.expand_dims(ops.expand_dims(scale, -1), -1)) * ops.eye(self.dim)
        R = ops.cholesky(G)                                         # lower triangular
        return ops.moveaxis(ops.solve_triangular(R, ops.moveaxis(Y, 0, -1), lower=True), -1, 0)

    def target(self, Y):
        Z = self.orthonormalize(Y)
        W, degree, volume = self._graph()
        WZ = _wmul(W, Z)
        # trace(Zᵀ L Z) / vol with L = D − W; equals Σ_j (1 − λ_j(D⁻¹W)) at the optimum.
        dzz = ops.sum(_per_point(degree, Z) * Z * Z, axis=(0, -1))
        return (dzz - ops.sum(Z * WZ, axis=(0, -1))) / volume


def spectral_loss(W, dim: int, *, jitter: float = 1e-4) -> ClusteringLoss:
    """SpectralNet-style loss: ``trace(Ỹᵀ L Ỹ) / vol`` of the D-orthonormalised output.

    The network emits ``Y`` (N, dim). Inside the loss ``Y`` is made D-orthonormal,
    ``Ỹ = Y R⁻ᵀ`` with ``R`` the Cholesky factor of ``Yᵀ D Y / vol`` (so ``Ỹᵀ D Ỹ = vol·I``),
    and the Laplacian quadratic form ``trace(Ỹᵀ (D − W) Ỹ) / vol`` is minimised. Its minimum
    over all embeddings is the sum of the ``dim`` smallest eigenvalues of the normalised
    Laplacian; the columns of ``Ỹ`` then span the ``dim`` bottom generalised eigenvectors of
    ``L y = λ D y`` — the ones spectral clustering uses. k-means on the rows of ``Ỹ``
    (:func:`embedding_labels`) gives the clusters. Without the orthonormalisation the loss would
    be minimised by ``Y = 0`` or by a constant ``Y`` (both trivial).

    Parameters
    ----------
    W : array or scipy.sparse matrix (N, N) — e.g. :func:`knn_graph`
    dim : int >= 1 — the embedding size (use the number of clusters)
    jitter : float > 0 — ``jitter · trace(G)/dim`` is added to the diagonal of ``G = Yᵀ D Y / vol``
        before the Cholesky factorisation, so a rank-deficient output (two equal columns) does
        not fail.
    """
    check_int(dim, "dim", minimum=1, hint=" (the embedding size: use n_clusters)")
    jitter = check_positive(jitter, "jitter")
    return _SpectralLoss(W, int(dim), jitter)


class _IICLoss(GraphLoss):
    def __init__(self, W, n_clusters: int, entropy_weight: float):
        super().__init__(W, n_clusters, "iic_loss")
        self.entropy_weight = entropy_weight

    def target(self, P):
        W, _, volume = self._graph()
        WP = _wmul(W, P)
        J = _gram(P, WP) / volume                                   # joint of (cluster i, cluster j)
        J = (J + _t(J)) / 2.0
        J = ops.maximum(J, EPS)
        pi = ops.sum(J, axis=-1)
        # I = Σ J log J − w Σ J log(p_i p_j), w = entropy_weight (w = 1: the mutual information;
        # w > 1 weights the marginals more, as in the IIC paper)
        mi = ops.sum(J * (ops.log(J) - self.entropy_weight * (ops.log(ops.expand_dims(pi, -1))
                                                              + ops.log(ops.expand_dims(pi, -2)))),
                     axis=(-2, -1))
        return -mi


def iic_loss(W, n_clusters: int, *, entropy_weight: float = 1.0) -> ClusteringLoss:
    """IIC-style loss: minus the mutual information of the clusters of neighbouring points.

    For an edge (i, j) of the graph chosen with probability ``W_ij / vol``, the pair of clusters
    ``(c_i, c_j)`` has the joint distribution ``J = Pᵀ W P / vol`` (K × K, symmetrised) with
    marginals ``π``. The loss is ``−I(c_i; c_j) = −Σ_ab J_ab log(J_ab / (π_a π_b))``. Mutual
    information is high when neighbours share a cluster (J diagonal) *and* the clusters are
    equally used (high entropy of π): the balance is built in, no extra term is needed.
    ``entropy_weight`` > 1 strengthens the marginal term (as in the IIC paper).

    Parameters
    ----------
    W : array or scipy.sparse matrix (N, N) — e.g. :func:`knn_graph`
    n_clusters : int >= 2
    entropy_weight : float > 0 — 1 is the plain mutual information
    """
    k = check_n_clusters(n_clusters, minimum=2)
    entropy_weight = check_positive(entropy_weight, "entropy_weight")
    return _IICLoss(W, k, entropy_weight)


def embedding_labels(loss: ClusteringLoss, Y, n_clusters: int, *, seed: int = 0, Y_new=None) -> np.ndarray:
    """Labels from a spectral embedding: D-orthonormalise the network output ``Y``, then k-means.

    The rows are normalised to unit length first (Ng–Jordan–Weiss), which makes the clusters of
    the embedding tight points on the sphere. ``Y`` is the output on the points the loss was
    built for; with ``Y_new`` (the same network's output on other points — SpectralNet's
    out-of-sample extension) the same linear map and the same k-means centres label those.

    Parameters
    ----------
    loss : ClusteringLoss
        The spectral loss the network was trained with (it holds the graph's degrees).
    Y : array-like of shape (N, dim)
        The network's output on the points the loss was built for.
    n_clusters : int
        Number of clusters for k-means.
    seed : int
        Seed of k-means.
    Y_new : array-like of shape (M, dim), optional
        The same network's output on other points, labelled with the same map and centres.

    Returns
    -------
    ndarray of shape (N,) or (M,)
        The labels of ``Y`` (or of ``Y_new`` when given).
    """
    from sklearn.cluster import KMeans

    if not isinstance(loss, _SpectralLoss):
        raise ValueError("embedding_labels needs the spectral_loss the network was trained with.")
    Y = check_data(Y, name="Y", n_features=loss.dim)
    k = check_n_clusters(n_clusters, Y, minimum=1)
    deg = loss.degree_host
    G = (Y * deg[:, None]).T @ Y / loss.volume
    G = G + loss.jitter * (np.trace(G) / loss.dim + EPS) * np.eye(loss.dim)
    T = np.linalg.inv(np.linalg.cholesky(G)).T             # Z = Y R⁻ᵀ, as in the loss

    def unit(A):
        Z = A @ T
        return Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)

    km = KMeans(k, n_init=10, random_state=seed).fit(unit(Y))
    if Y_new is None:
        return km.labels_
    return km.predict(unit(check_data(Y_new, name="Y_new", n_features=loss.dim)))
