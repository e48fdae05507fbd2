"""One call that clusters data by minimising a named target function (lecture 05).

>>> from course_utils.targets.clustering import cluster
>>> labels = cluster(X, 2, objective="spectral", seed=0)

:func:`cluster` builds the network, trains it with :func:`course_utils.targets.train.fit_clustering` (graph
objectives: traced once per architecture and size, then reused — ``fit_clustering_reused``),
and returns integer labels. Methods that can stop in a poor local minimum train several
*restarts* — independent networks with different initial weights — **in one Keras model**
(their outputs side by side, the loss the sum of their losses, so each restart gets its own
gradient and Adam state; the graph objectives hold all restarts in one layer and evaluate their
losses as one stack, :mod:`course_utils.targets.stacked`, and compute the fixed Fourier features
once), and keep the restart whose own loss is lowest — losses within a small
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

import random
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
from .models import FourierFeatures, assignment_network, centroid_network, embedding_network
from .restarts import _parallel, _Restarts, pick_restart, restart_seeds
from .reuse import fit_clustering_reused
from .stacked import stacked_network, training_view
from .train import _predict

__all__ = ["cluster", "fit_cluster", "pick_restart", "ClusterResult", "Graph", "DEFAULTS", "OBJECTIVES",
           "embedding_network", "FourierFeatures"]

_NET = dict(subsample=3000, n_restarts=1, epochs=400, learning_rate=0.01, hidden=(64, 64), standardize=True)
_GRAPH = dict(n_neighbors="auto", weights="snn", fourier=1.0)

#: Every objective's options and their defaults; ``cluster(..., **options)`` overrides them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "centroid": {**_NET, "hidden": 30, "epochs": 300, "learning_rate": 0.01, "n_restarts": 4, "init": "k-means++"},
    "proximity": {**_NET, "hidden": (20, 20, 20), "sharpness": 3.0, "epochs": 300,
                  "kernel": "rational", "a": 0.1, "n_neighbors": None},
    # issue 18, lecture 05's table (5 data sets x seeds 0-4, and seeds 0-9): ncut 2 restarts x 200
    # steps at twice the rate is as good as 4 x 400; spectral 300 steps at 0.015 as good as 500 at
    # 0.01 on every set; iic 300 steps give the 400 steps' partitions; cheaper settings lost quality
    "ncut": {**_NET, **_GRAPH, "n_restarts": 2, "epochs": 200, "learning_rate": 0.02, "sharpness": 1.0,
             "balance": 1.0, "oversegment": 4},
    "spectral": {**_NET, **_GRAPH, "n_restarts": 4, "epochs": 300, "learning_rate": 0.015, "jitter": 1e-4,
                 "dim": None},
    "iic": {**_NET, **_GRAPH, "n_restarts": 4, "epochs": 300, "sharpness": 1.0, "entropy_weight": 1.0,
            "oversegment": 4},
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
    """The target function of ``objective`` and a builder ``build(seeds) -> network`` for it.

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
        ``build(seeds) -> keras.Model``: one network per seed, outputs side by side ``(N, R·d)``.
        The graph and custom objectives hold all restarts in one
        :class:`~course_utils.targets.stacked.StackedRestarts` layer (the same networks, fewer
        operations per step); the centroid and proximity networks are the lectures' own.
    """
    dim = X.shape[1]
    if objective == "centroid":                      # init: k-means++ seeds (no centre starts dead) or random
        from sklearn.cluster import kmeans_plusplus

        if opts["init"] not in ("k-means++", "random"):
            raise ValueError(f"init must be 'k-means++' or 'random', got {opts['init']!r}.")
        c0 = (lambda s: None) if opts["init"] == "random" else (lambda s: kmeans_plusplus(X, k, random_state=s)[0])
        return L.centroid_loss(X, k), lambda seeds: _parallel(
            lambda s: centroid_network(dim, k, opts["hidden"], seed=s, init_centers=c0(s)), dim, seeds)
    if objective == "proximity":                     # lectures 03-04's network on the raw features
        M = L.nearness_matrix(Xs, opts["kernel"], n_neighbors=opts["n_neighbors"], a=opts["a"])
        assign = (lambda s: assignment_network(dim, k, opts["hidden"], opts["sharpness"], seed=s))
        return L.normalized_proximity_loss(M, k), lambda seeds: _parallel(assign, dim, seeds)

    def stacked(out_dim: int, output: str) -> Callable:
        return lambda seeds: stacked_network(dim, out_dim, opts["hidden"], seeds, fourier=opts["fourier"],
                                             output=output, sharpness=opts.get("sharpness", 1.0))
    W = _graph(Xs, opts)
    if objective in ("ncut", "iic"):                 # trained for oversegment · K segments
        ks = k * int(opts["oversegment"])
        if objective == "ncut":
            return gl.ncut_loss(W, ks, balance=opts["balance"]), stacked(ks, "softmax")
        return gl.iic_loss(W, ks, entropy_weight=opts["entropy_weight"]), stacked(ks, "softmax")
    if objective == "spectral":
        d = k if opts["dim"] is None else opts["dim"]
        return gl.spectral_loss(W, d, jitter=opts["jitter"]), stacked(d, "linear")
    # a custom target fn(P, graph): memberships from a softmax network, or a linear embedding
    if opts["output"] not in ("memberships", "embedding"):
        raise ValueError(f"output must be 'memberships' (softmax network, labels by argmax) or "
                         f"'embedding' (linear network, labels by k-means), got {opts['output']!r}.")
    loss = target_loss(objective, Xs, W, k, output=opts["output"])
    return loss, stacked(k, "softmax" if opts["output"] == "memberships" else "linear")


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
    if name == "custom":        # your target may draw keras.random numbers: reset every generator
        keras.utils.set_random_seed(seed)
    else:                       # every draw here is seeded explicitly; TensorFlow's seed is left
        random.seed(seed)       # alone: setting it clears TF's caches, which cost 0.17 s per call
        np.random.seed(seed)
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
    model = build(restart_seeds(seed, R))
    trainer, inputs = training_view(model, Xst)         # fixed Fourier features: computed once
    # graph objectives: the train step is traced once per architecture, size and options
    key = (name, Xst.shape, k, tuple(sorted((o, repr(v)) for o, v in opts.items() if o != "learning_rate")))
    fit_clustering_reused(key if name in ("ncut", "spectral", "iic") else None, trainer, loss, inputs,
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
        if getattr(loss, "batched", False):           # every restart's loss in one evaluation
            stack = ops.convert_to_tensor(np.stack(chunks, axis=1).astype(np.float32))     # (N, R, d)
            finals = [float(v) for v in np.atleast_1d(ops.convert_to_numpy(loss.target(stack)))]
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
