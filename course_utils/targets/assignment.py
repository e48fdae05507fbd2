"""Custom target functions (lecture 05's exercise): *your own* ``fn(P, graph) -> scalar``.

A student target is a plain function ``fn(P, graph) -> scalar`` of the soft memberships ``P``
(N, K tensor, rows sum to 1) and a :class:`Graph` (``graph.X``, ``graph.W``, ``graph.degree``,
``graph.n_clusters``), written with :mod:`keras.ops`. :func:`target_loss` turns it into a Keras
loss after :func:`check_target` tried it on random memberships (that check needs the TensorFlow
backend, the course's; the built-in targets run under any Keras backend). Scoring a target (training it and
turning the ARI into points) is the grader's job: :mod:`course_utils.instructor.scoring`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import keras
import numpy as np
from keras import ops

from ..validation import check_data
from .base import ClusteringLoss, _to_backend
from .graph_losses import knn_graph

__all__ = ["Graph", "make_graph", "target_loss", "check_target"]


@dataclass
class Graph:
    """What a custom target function ``fn(P, graph)`` may use (all constant tensors).

    Attributes
    ----------
    X : tensor (N, D) — the (standardised) data
    W : sparse tensor (N, N) — symmetric kNN affinities; use it as ``ops.matmul(graph.W, P)``
    degree : tensor (N,) — ``W 1``, the weighted number of neighbours of each point
    n_clusters : int
    W_host : scipy.sparse.csr_matrix — the same W on the host, for NumPy checks
    """
    X: Any
    W: Any
    degree: Any
    n_clusters: int
    W_host: Any = None


def make_graph(X, n_neighbors: int = 10, *, weights: str = "snn"):
    """The :class:`Graph` a target function receives, for data ``X``.

    Useful to try a target by hand: ``fn(P, make_graph(X))``. (:func:`score_target` standardises
    ``X`` first and builds the graph itself.)

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data (at least 3 points).
    n_neighbors : int
        Neighbours of each point in the kNN graph.
    weights : {"snn", "connectivity", "gaussian"}
        Edge weights (see :func:`course_utils.targets.graph_losses.knn_graph`).

    Returns
    -------
    Graph
    """
    X = check_data(X, min_samples=3)
    W = knn_graph(X, n_neighbors, weights=weights)
    return _TargetLoss(lambda P, g: ops.sum(P), X, W, 2).graph


class _TargetLoss(ClusteringLoss):
    def __init__(self, fn: Callable, Xs: np.ndarray, W, n_clusters: int, output: str = "memberships"):
        super().__init__(Xs.shape[0], n_clusters, getattr(fn, "__name__", "student_target"))
        self.output = output
        deg = np.asarray(W.sum(axis=1)).ravel().astype(np.float32)
        self.fn = fn
        self.graph = Graph(X=ops.convert_to_tensor(Xs.astype(np.float32)), W=_to_backend(W),
                           degree=ops.convert_to_tensor(deg), n_clusters=int(n_clusters), W_host=W)

    def target(self, P):
        value = self.fn(P, self.graph)
        return ops.mean(ops.cast(value, "float32"))      # a per-point loss is averaged


def target_loss(fn: Callable, Xs, W, n_clusters: int, *, output: str = "memberships") -> ClusteringLoss:
    """Wrap a target ``fn(P, graph) -> scalar`` as a Keras loss (after :func:`check_target`).

    ``output`` says what ``P`` will be: ``"memberships"`` (rows of a softmax) or ``"embedding"``
    (any real numbers, the output of a linear layer).

    Parameters
    ----------
    fn : callable
        The target ``fn(P, graph) -> scalar``, written with :mod:`keras.ops`.
    Xs : array-like of shape (N, D)
        The (standardised) data the network is trained on.
    W : scipy.sparse matrix of shape (N, N)
        The kNN graph of ``Xs``.
    n_clusters : int
        Number of columns of ``P``.
    output : {"memberships", "embedding"}
        What ``P`` will be.

    Returns
    -------
    ClusteringLoss
    """
    if not callable(fn):
        raise ValueError(f"the target must be a function fn(P, graph), got {fn!r}.")
    Xs = check_data(Xs, min_samples=3)
    loss = _TargetLoss(fn, Xs, W, n_clusters, output)
    problem = check_target(loss)
    if problem:
        raise ValueError(problem)
    return loss


def check_target(loss: _TargetLoss) -> str:
    """Evaluate the target on random memberships; return '' if it is usable, else why not.

    It takes the target's gradient with TensorFlow's ``GradientTape``, so it needs the TensorFlow
    backend (the course's, ``KERAS_BACKEND=tensorflow``); the built-in target functions of
    :mod:`course_utils.targets.losses` and :mod:`course_utils.targets.graph_losses` run under any
    Keras backend.

    Parameters
    ----------
    loss : ClusteringLoss
        A loss made by :func:`target_loss` (it holds the target ``fn`` and its :class:`Graph`).

    Returns
    -------
    str
        ``''`` when the target returns a finite scalar whose gradient with respect to ``P`` is
        finite and not zero; otherwise a sentence saying what to fix.
    """
    if keras.backend.backend() != "tensorflow":
        return (f"checking a custom target needs the TensorFlow backend (KERAS_BACKEND=tensorflow), "
                f"not {keras.backend.backend()!r}.")
    rng = np.random.default_rng(0)
    n, k = loss.n_samples, loss.output_dim
    z = rng.normal(size=(n, k)) * 2
    if getattr(loss, "output", "memberships") == "embedding":
        P0 = z.astype(np.float32)
    else:
        P0 = np.exp(z - z.max(1, keepdims=True))
        P0 = (P0 / P0.sum(1, keepdims=True)).astype(np.float32)
    try:
        import tensorflow as tf

        P = tf.Variable(P0)
        with tf.GradientTape() as tape:
            raw = loss.fn(P, loss.graph)
            value = ops.cast(raw, "float32")
        shape = tuple(ops.shape(value))
        if shape not in ((), (1,), (n,)):
            return (f"the target returned shape {shape}; it must return one number (a scalar), "
                    f"e.g. ops.sum(...) over everything.")
        v = float(ops.convert_to_numpy(ops.mean(value)))
        grad = tape.gradient(value, P)
    except Exception as exc:  # noqa: BLE001 - any failure of student code is reported, not raised
        return f"the target raised {type(exc).__name__}: {exc}"
    if not np.isfinite(v):
        return f"the target returned {v} (NaN/inf) on ordinary memberships; guard divisions and logs (e.g. + 1e-7)."
    if grad is None or not np.any(np.asarray(ops.convert_to_numpy(grad)) != 0):
        return ("the target does not depend on P (zero gradient): it must be computed from the "
                "memberships with keras.ops, not NumPy.")
    if not np.all(np.isfinite(ops.convert_to_numpy(grad))):
        return "the gradient of the target is NaN/inf on ordinary memberships; guard divisions and logs."
    return ""
