"""One call that clusters data by minimising a named target function (lecture 05).

>>> from course_utils.targets.clustering import cluster
>>> labels = cluster(X, 2, objective="spectral", seed=0)

:func:`cluster` builds the network, trains it with :func:`course_utils.targets.train.fit_clustering` (graph
objectives: traced once per architecture and size, then reused — ``fit_clustering_reused``),
and returns integer labels. Methods that can stop in a poor local minimum train several
*restarts* — independent networks with different initial weights — **in one Keras model**
(their outputs side by side, the loss the sum of their losses, so each restart gets its own
gradient and Adam state), and keep the restart whose own loss is lowest — losses within a small
tolerance count as equal and the lowest index wins (:func:`pick_restart`), so another CPU's
rounding cannot change the choice. The choice uses the target function only, never the true
labels. :func:`fit_cluster` returns the details (loss of every restart, the chosen one, the model,
the seconds).

Objectives (see :data:`DEFAULTS` for every option and its default):

=============  ===============================================================================
``centroid``   lecture 02: network emits K centres (k-means++ starts, 4 restarts), loss = mean sq. distance
``proximity``  lecture 03/04: ``−Σ_k p_kᵀ M p_k / Σ_n p_nk`` with a rational nearness matrix
``ncut``       soft normalised cut on a shared-neighbour kNN graph + balance term, trained for
               ``oversegment · K`` segments, then merged into K clusters by the same target
               function (:mod:`course_utils.targets.segments`)
``spectral``   SpectralNet-style: D-orthonormal embedding, ``trace(Yᵀ L Y)``, then k-means
``iic``        minus the mutual information of the clusters of graph neighbours (over-segmented
               and merged like ``ncut``)
callable       your own target ``fn(P, graph) -> scalar`` (see :mod:`course_utils.targets.assignment`);
               ``output="embedding"`` trains a linear-output network instead of memberships and
               labels its D-orthonormalised output by k-means (as ``spectral`` does)
=============  ===============================================================================
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import keras
import numpy as np
from keras import ops

from ..validation import check_data, check_int, check_n_clusters, check_n_neighbors
from . import graph_losses as gl
from . import losses as L
from .assignment import Graph, target_loss
from .losses import ClusteringLoss
from .models import _check_units, assignment_network, centroid_network
from .restarts import pick_restart
from .reuse import fit_clustering_reused
from .train import _predict

__all__ = ["cluster", "fit_cluster", "pick_restart", "ClusterResult", "Graph", "DEFAULTS", "OBJECTIVES",
           "embedding_network"]

_NET = dict(subsample=3000, n_restarts=1, epochs=400, learning_rate=0.01, hidden=(64, 64), standardize=True)
_GRAPH = dict(n_neighbors="auto", weights="snn", fourier=1.0)

#: Every objective's options and their defaults; ``cluster(..., **options)`` overrides them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "centroid": {**_NET, "hidden": 30, "epochs": 300, "learning_rate": 0.01, "n_restarts": 4, "init": "k-means++"},
    "proximity": {**_NET, "hidden": (20, 20, 20), "sharpness": 3.0, "epochs": 300,
                  "kernel": "rational", "a": 0.1, "n_neighbors": None},
    # ncut: 2 restarts x 200 steps at twice the rate is as good as 4 x 400 on lecture 05's table
    # (issue 18); spectral and iic lost quality with every cheaper setting tried
    "ncut": {**_NET, **_GRAPH, "n_restarts": 2, "epochs": 200, "learning_rate": 0.02, "sharpness": 1.0,
             "balance": 1.0, "oversegment": 4},
    "spectral": {**_NET, **_GRAPH, "n_restarts": 4, "epochs": 500, "jitter": 1e-4, "dim": None},
    "iic": {**_NET, **_GRAPH, "n_restarts": 4, "sharpness": 1.0, "entropy_weight": 1.0, "oversegment": 4},
    "custom": {**_NET, **_GRAPH, "n_restarts": 4, "sharpness": 1.0, "output": "memberships"},
}
OBJECTIVES = tuple(k for k in DEFAULTS if k != "custom")


@dataclass
class ClusterResult:
    """What :func:`fit_cluster` found."""
    labels: np.ndarray
    objective: str
    losses: list[float]              # final loss of every restart (ncut/iic: of its merged partition)
    best: int                        # the restart kept (see :func:`pick_restart`)
    seconds: float
    model: keras.Model = field(repr=False)
    output: np.ndarray = field(repr=False)   # the kept restart's network output (N, ·)
    options: dict = field(default_factory=dict)


@keras.saving.register_keras_serializable(package="course_utils")
class FourierFeatures(keras.layers.Layer):
    """Fixed random Fourier features ``[sin(x B), cos(x B)]``, ``B ~ N(0, scale²)`` (D × F).

    A plain ReLU network learns smooth, nearly linear functions of 2-D inputs first (its
    *spectral bias*), so a cluster boundary that must bend around a moon or a ring is learned
    slowly or never. Feeding it sines and cosines of random directions fixes that (Tancik et
    al., 2020). ``scale`` sets how wiggly the first functions may be (data standardised).
    """

    def __init__(self, n_features: int = 64, scale: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.scale, self.seed = int(n_features), float(scale), seed

    def build(self, input_shape):
        rng = np.random.default_rng(self.seed)
        B = rng.normal(scale=self.scale, size=(int(input_shape[-1]), self.n_features)).astype("float32")
        self.B = self.add_weight(shape=B.shape, initializer=keras.initializers.Constant(B),
                                 trainable=False, name="B")

    def call(self, x):
        z = ops.matmul(x, self.B)
        return ops.concatenate([ops.sin(z), ops.cos(z)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 2 * self.n_features)

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features, "scale": self.scale, "seed": self.seed}


def _with_fourier(net_builder: Callable[[int, int], keras.Model], dim: int, fourier: float, seed: int,
                  n_features: int = 64) -> keras.Model:
    """``net_builder(in_dim, seed)`` behind a :class:`FourierFeatures` layer (if ``fourier`` > 0)."""
    if not fourier:
        return net_builder(dim, seed)
    inp = keras.Input((dim,))
    net = net_builder(2 * n_features, seed)
    return keras.Model(inp, net(FourierFeatures(n_features, fourier, seed=seed)(inp)), name=net.name + "_ff")


def embedding_network(dim: int, out_dim: int, hidden=(32, 32), *, seed: int | None = None) -> keras.Model:
    """``Dense(hidden, relu)…  → Dense(out_dim)`` (linear): the SpectralNet embedding network.

    Parameters
    ----------
    dim : int
        Number of input features.
    out_dim : int
        Size of the embedding.
    hidden : int or sequence of int
        Widths of the hidden ReLU layers.
    seed : int, optional
        Seed of the initial weights.

    Returns
    -------
    keras.Model
    """
    units = _check_units(hidden)
    init = (lambda i: keras.initializers.GlorotUniform(seed=None if seed is None else seed + i))
    layers = [keras.Input((dim,))]
    layers += [keras.layers.Dense(u, activation="relu", kernel_initializer=init(i)) for i, u in enumerate(units)]
    layers.append(keras.layers.Dense(out_dim, kernel_initializer=init(len(units)), name="embedding"))
    return keras.Sequential(layers, name="embedding_network")


class _Restarts(ClusteringLoss):
    """R copies of a target side by side: output (N, R·d) → Σ_r target(output[:, r·d:(r+1)·d])."""

    def __init__(self, loss: ClusteringLoss, n_restarts: int):
        super().__init__(loss.n_samples, loss.output_dim * n_restarts, f"{loss.name}_x{n_restarts}")
        self.inner, self.R, self.d = loss, n_restarts, loss.output_dim

    def parts(self, y_pred):
        return [self.inner.target(y_pred[:, r * self.d:(r + 1) * self.d]) for r in range(self.R)]

    def target(self, y_pred):
        return ops.sum(ops.stack([ops.mean(t) for t in self.parts(y_pred)]))


def _parallel(build: Callable[[int], keras.Model], dim: int, n_restarts: int, seed: int) -> keras.Model:
    """One model holding ``n_restarts`` independent networks ``build(seed_r)`` side by side."""
    if n_restarts == 1:
        return build(seed)
    inp = keras.Input((dim,))
    outs = []
    for r in range(n_restarts):
        net = build(seed + 1009 * r)
        net.name = f"{net.name}_{r}"        # names must be unique inside one model
        outs.append(net(inp))
    return keras.Model(inp, keras.layers.Concatenate()(outs), name=f"restarts_x{n_restarts}")


def _check_options(objective: str, options: dict) -> dict:
    allowed = DEFAULTS[objective]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for objective {objective!r}; "
                         f"allowed: {sorted(allowed)}.")
    opts = {**allowed, **options}
    for key in ("n_restarts", "epochs") + (("oversegment",) if "oversegment" in opts else ()):
        check_int(opts[key], key, minimum=1)
    lr = opts["learning_rate"]
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {lr!r}.")
    return opts


def _graph(Xs: np.ndarray, opts: dict):
    n = Xs.shape[0]
    k = opts["n_neighbors"]
    if k == "auto":                      # 15 at N = 500, growing like √N (60+ at N = 10 000)
        k = int(min(n - 1, max(10, round(15 * np.sqrt(n / 500)))))
    return gl.knn_graph(Xs, check_n_neighbors(k, n), weights=opts["weights"])


def make_loss(objective, X: np.ndarray, Xs: np.ndarray, k: int, opts: dict) -> tuple[ClusteringLoss, Callable]:
    """The target function of ``objective`` and a builder ``build(seed) -> network`` for it.

    Parameters
    ----------
    objective : str or callable
        A name of :data:`OBJECTIVES` or a custom target ``fn(P, graph)``.
    X : ndarray of shape (N, D)
        The data (the centroid target uses it as given).
    Xs : ndarray of shape (N, D)
        The standardised data (for the graph and the nearness matrix).
    k : int
        The number of clusters.
    opts : dict
        The objective's options, defaults filled in.

    Returns
    -------
    loss : ClusteringLoss
    build : callable
        ``build(seed) -> keras.Model``.
    """
    dim = X.shape[1]
    if objective == "centroid":                      # init: k-means++ seeds (no centre starts dead) or random
        from sklearn.cluster import kmeans_plusplus

        if opts["init"] not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++' or 'random', got {opts['init']!r}.")
        c0 = (lambda s: None) if opts["init"] == "random" else (lambda s: kmeans_plusplus(X, k, random_state=s)[0])
        return L.centroid_loss(X, k), lambda s: centroid_network(dim, k, opts["hidden"], seed=s, init_centers=c0(s))
    ff = opts.get("fourier", 0.0)
    assign = (lambda s: _with_fourier(lambda d, s2: assignment_network(d, k, opts["hidden"], opts["sharpness"],
                                                                       seed=s2), dim, ff, s))
    if objective == "proximity":
        M = L.nearness_matrix(Xs, opts["kernel"], n_neighbors=opts["n_neighbors"], a=opts["a"])
        return L.normalized_proximity_loss(M, k), assign
    W = _graph(Xs, opts)
    if objective in ("ncut", "iic"):                 # trained for oversegment · K segments
        ks = k * int(opts["oversegment"])
        assign_s = (lambda s: _with_fourier(lambda d, s2: assignment_network(d, ks, opts["hidden"],
                                                                             opts["sharpness"], seed=s2),
                                            dim, ff, s))
        if objective == "ncut":
            return gl.ncut_loss(W, ks, balance=opts["balance"]), assign_s
        return gl.iic_loss(W, ks, entropy_weight=opts["entropy_weight"]), assign_s
    if objective == "spectral":
        d = k if opts["dim"] is None else opts["dim"]
        return (gl.spectral_loss(W, d, jitter=opts["jitter"]),
                lambda s: _with_fourier(lambda dd, s2: embedding_network(dd, d, opts["hidden"], seed=s2),
                                        dim, ff, s))
    # a custom target fn(P, graph): memberships from a softmax network, or a linear embedding

    if opts["output"] not in ("memberships", "embedding"):
        raise ValueError(f"output must be 'memberships' (softmax network, labels by argmax) or "
                         f"'embedding' (linear network, labels by k-means), got {opts['output']!r}.")
    loss = target_loss(objective, Xs, W, k, output=opts["output"])
    if opts["output"] == "memberships":
        return loss, assign
    return loss, (lambda s: _with_fourier(lambda dd, s2: embedding_network(dd, k, opts["hidden"], seed=s2),
                                          dim, ff, s))


def _merge(loss, Y: np.ndarray, k: int, name: str, opts: dict) -> tuple[np.ndarray, float]:
    """Merge the segments ``argmax Y`` into k clusters by the objective's own score."""
    from functools import partial

    from . import segments

    score = (partial(segments.ncut_score, balance=opts["balance"]) if name == "ncut"
             else partial(segments.iic_score, entropy_weight=opts["entropy_weight"]))
    seg = Y.argmax(axis=1)
    try:
        return segments.merge_segments(loss.W_host, seg, k, score)
    except ValueError:                                  # collapsed to fewer than k pieces
        return segments.split_components(loss.W_host, seg), float("inf")


def fit_cluster(X, n_clusters: int, objective: str | Callable = "spectral", seed: int = 0,
                **options) -> ClusterResult:
    """Like :func:`cluster`, but return a :class:`ClusterResult` with the details.

    Parameters
    ----------
    X : array (N, D)
        The data.
    n_clusters : int
        The number of clusters (at least 2).
    objective : str or callable
        The target function, as in :func:`cluster`.
    seed : int
        Seeds the initial weights.
    **options
        Override :data:`DEFAULTS` ``[objective]``, as in :func:`cluster`.
    """
    X = check_data(X, min_samples=3)
    k = check_n_clusters(n_clusters, X, minimum=2)
    seed = check_int(seed, "seed", minimum=0)
    if callable(objective):
        name = "custom"
    elif isinstance(objective, str) and objective in OBJECTIVES:
        name = objective
    else:
        raise ValueError(f"unknown objective {objective!r}; choose one of {list(OBJECTIVES)} "
                         f"or pass your own target function fn(P, graph).")
    opts = _check_options(name, options)
    Xs = L.check_data(X)
    if opts["standardize"]:
        from ..data import standardize

        Xs = standardize(X)
    keras.utils.set_random_seed(seed)
    t0 = time.perf_counter()
    m = opts["subsample"]
    if m is not None:
        check_int(m, "subsample", minimum=10, hint=" (points to train on) or None")
    # large data: train on a random subsample, then apply the network to every point
    idx = (np.sort(np.random.default_rng(seed).choice(X.shape[0], int(m), replace=False))
           if m is not None and X.shape[0] > m else None)
    Xt, Xst = (X, Xs) if idx is None else (X[idx], Xs[idx])
    loss, build = make_loss(objective, Xt, Xst, k, opts)
    R = int(opts["n_restarts"])
    model = _parallel(build, X.shape[1], R, seed)
    # graph objectives: the train step is traced once per architecture, size and options
    key = (name, Xst.shape, k, tuple(sorted((o, repr(v)) for o, v in opts.items() if o != "learning_rate")))
    fit_clustering_reused(key if name in ("ncut", "spectral", "iic") else None, model, loss, Xst,
                          wrap=(lambda inner: _Restarts(inner, R)) if R > 1 else (lambda inner: inner),
                          epochs=int(opts["epochs"]), learning_rate=float(opts["learning_rate"]))
    out = _predict(model, Xst.astype(np.float32))
    d = loss.output_dim
    chunks = [out[:, r * d:(r + 1) * d] for r in range(R)]
    merged = None
    if name in ("ncut", "iic") and int(opts["oversegment"]) > 1:
        merged = [_merge(loss, c, k, name, opts) for c in chunks]
        finals = [v for _, v in merged]               # the merged partitions' scores
    else:
        finals = [float(ops.convert_to_numpy(ops.mean(loss.target(ops.convert_to_tensor(c.astype(np.float32))))))
                  for c in chunks]
    best = pick_restart(finals)
    Y = chunks[best]
    Y_all = Y if idx is None else _predict(model, Xs.astype(np.float32))[:, best * d:(best + 1) * d]
    if not np.all(np.isfinite(Y_all)):
        raise FloatingPointError(f"training the {name} objective gave NaN/inf outputs in every restart; "
                                 f"lower learning_rate or check the target function.")
    if name == "centroid":
        C = Y.mean(axis=0).reshape(k, X.shape[1])
        labels = L.squared_distances(X, C).argmin(axis=1)
    elif merged is not None:
        labels = merged[best][0]
        if idx is not None:                             # the other points: vote of the 10 nearest
            from sklearn.neighbors import KNeighborsClassifier

            labels = KNeighborsClassifier(10).fit(Xst, labels).predict(Xs)
    elif name == "spectral" or (name == "custom" and opts["output"] == "embedding"):
        ref = loss if name == "spectral" else gl.spectral_loss(loss.graph.W_host, k)
        labels = gl.embedding_labels(ref, Y, k, seed=seed, Y_new=None if idx is None else Y_all)
    else:
        labels = Y_all.argmax(axis=1)
    return ClusterResult(labels=np.asarray(labels, dtype=np.int64), objective=name, losses=finals, best=best,
                         seconds=time.perf_counter() - t0, model=model, output=Y_all, options=opts)


def cluster(X, n_clusters: int, objective: str | Callable = "spectral", seed: int = 0,
            **options) -> np.ndarray:
    """Cluster ``X`` into ``n_clusters`` by training a network on a target function.

    Parameters
    ----------
    X : array (N, D)
    n_clusters : int >= 2
    objective : {"centroid", "proximity", "ncut", "spectral", "iic"} or callable
        The target function (see the module docstring); a callable ``fn(P, graph)`` is trained
        like ``ncut`` (memberships from a softmax network, restarts kept by lowest loss).
    seed : int — seeds the initial weights; same seed, same labels
    **options
        Override :data:`DEFAULTS` ``[objective]``: ``n_restarts``, ``epochs``, ``learning_rate``,
        ``hidden``, ``standardize``; graph methods: ``n_neighbors``, ``weights`` ("snn",
        "connectivity", "gaussian"); ``oversegment`` (ncut, iic: train ``oversegment · K``
        segments and merge them by the same target; 1 trains K clusters directly); and the
        loss's own (``balance``, ``entropy_weight``, ``jitter``, ``dim``, ``sharpness``,
        ``kernel``/``a``).

    Returns
    -------
    labels : ndarray (N,) of int in ``[0, n_clusters)`` (some may be unused if a cluster emptied).

    Raises
    ------
    ValueError — bad data, ``n_clusters``, objective or option, with what to fix.
    """
    return fit_cluster(X, n_clusters, objective, seed, **options).labels
