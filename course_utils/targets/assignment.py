"""Custom target functions (lecture 05's exercise): *your own* ``fn(P, graph) -> scalar``.

A student target is a plain function ``fn(P, graph) -> scalar`` of the soft memberships ``P``
(N, K tensor, rows sum to 1) and a :class:`Graph` (``graph.X``, ``graph.W``, ``graph.degree``,
``graph.n_clusters``), written with :mod:`keras.ops`. :func:`target_loss` turns it into a Keras
loss after :func:`check_target` tried it on random memberships (that check needs the TensorFlow
backend, the course's; the built-in targets run under any Keras backend). Scoring a target (training it and
turning the ARI into points) is the grader's job: :mod:`course_utils.instructor.scoring`.

A target must *be* a target function, not a label copier. Three measures keep a "target" that
computes the labels elsewhere (scikit-learn on the graph, k-means on the data, the true labels)
and trains the network to copy them from scoring:

* during training and checking, the target receives the graph as **symbolic** tensors (with the
  TensorFlow backend): ``graph.X``, ``graph.W`` and ``graph.degree`` can only be computed with
  ``keras.ops``; there is no ``graph.W_host`` and no NumPy value to hand to a library;
* :func:`score_target` shuffles the points before training, so labels taken from anywhere in the
  original order of the data are wrong;
* :func:`check_target` requires the target to be the same function of the points whatever their
  order: reordering the points (and ``P`` with them) must not change its value.
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

__all__ = ["Graph", "make_graph", "target_loss", "check_target", "evaluate_target"]


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

        self._symbolic = _symbolic_caller(fn, W, n_clusters)

    def call_fn(self, P, order=None):
        """The student's ``fn(P, graph)`` on a graph it cannot read on the host (see module doc).

        ``order`` (a permutation of the rows) evaluates it with the points reordered.
        """
        if self._symbolic is None:                     # backends without tf.function: plain call
            return self.fn(P, self.graph)
        return self._symbolic(P, self.graph.X, order)

    def target(self, P):
        value = self.call_fn(P)
        return ops.mean(ops.cast(value, "float32"))      # a per-point loss is averaged


def _symbolic_caller(fn: Callable, W, n_clusters: int):
    """``call(P, X, order)``: run ``fn`` inside a ``tf.function`` whose graph tensors are arguments.

    Inside, ``graph.X``, ``graph.W`` (sparse) and ``graph.degree`` are symbolic tensors — usable
    with ``keras.ops``, not convertible to NumPy — and ``graph.W_host`` is None. Returns None when
    the backend is not TensorFlow.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf
    from scipy import sparse as sp


    W = sp.csr_matrix(W)
    n = W.shape[0]

    def parts(order):
        Wp = W if order is None else W[order][:, order]
        coo = Wp.tocoo()
        idx = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
        key = np.lexsort((idx[:, 1], idx[:, 0]))              # canonical (row-major) order
        deg = np.asarray(Wp.sum(axis=1)).ravel().astype(np.float32)
        return (tf.constant(idx[key]), tf.constant(coo.data[key].astype(np.float32)), tf.constant(deg))

    cached = {None: parts(None)}
    _quiet_retracing_warning()

    @tf.function(autograph=False, reduce_retracing=True)
    def run(P, X, idx, vals, deg):
        graph = Graph(X=X, W=tf.SparseTensor(idx, vals, (n, n)), degree=deg, n_clusters=int(n_clusters),
                      W_host=None)
        return fn(P, graph)

    def call(P, X, order=None):
        if order is None:
            return run(P, X, *cached[None])
        order = np.asarray(order)
        return run(P, ops.take(X, order, axis=0), *parts(order))

    return call


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
            raw = _call(loss, P)
            value = ops.cast(raw, "float32")
        shape = tuple(ops.shape(value))
        if shape not in ((), (1,), (n,)):
            return (f"the target returned shape {shape}; it must return one number (a scalar), "
                    f"e.g. ops.sum(...) over everything.")
        v = float(ops.convert_to_numpy(ops.mean(value)))
        grad = tape.gradient(value, P)
        order = rng.permutation(n)
        v_perm = float(ops.convert_to_numpy(ops.mean(ops.cast(_call(loss, P0[order], order), "float32"))))
    except Exception as exc:  # noqa: BLE001 - any failure of student code is reported, not raised
        return (f"the target raised {type(exc).__name__}: {str(exc)[:120]} — compute it with keras.ops "
                f"from P, graph.W, graph.degree, graph.X (graded on a symbolic graph: no NumPy, no "
                f"scikit-learn, no graph.W_host).")
    if not np.isfinite(v):
        return f"the target returned {v} (NaN/inf) on ordinary memberships; guard divisions and logs (e.g. + 1e-7)."
    if grad is None or not np.any(np.asarray(ops.convert_to_numpy(grad)) != 0):
        return ("the target does not depend on P (zero gradient): it must be computed from the "
                "memberships with keras.ops, not NumPy.")
    if not np.all(np.isfinite(ops.convert_to_numpy(grad))):
        return "the gradient of the target is NaN/inf on ordinary memberships; guard divisions and logs."
    if np.isfinite(v_perm) and abs(v_perm - v) > 1e-3 * (1.0 + abs(v)):
        return (f"the target changes when the points are listed in another order ({v:.6g} vs {v_perm:.6g}); "
                f"a target function must depend only on P and the graph, not on a fixed list of labels "
                f"or values per row.")
    return ""


class _NoRetracingNote:
    """Drops TensorFlow's "triggered tf.function retracing" note: every graded target gets its own
    small ``tf.function`` (one per data set), which is intended, not a performance bug to report."""

    def filter(self, record) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def _quiet_retracing_warning() -> None:
    import logging

    log = logging.getLogger("tensorflow")
    if not any(isinstance(f, _NoRetracingNote) for f in log.filters):
        log.addFilter(_NoRetracingNote())


def _call(loss, P, order=None):
    """The target's raw value on ``P`` (rows reordered by ``order``, graph with them)."""
    if hasattr(loss, "call_fn"):
        return loss.call_fn(P, order)
    return loss.target(P)                           # a plain ClusteringLoss: it has no graph to reorder


def evaluate_target(fn: Callable, P, graph) -> tuple[float, np.ndarray]:
    """Value and gradient (with respect to ``P``) of ``fn(P, graph)``, evaluated as the grader does.

    The function receives a *symbolic* copy of ``graph`` (TensorFlow backend): a function written
    with ``keras.ops`` works; one that reads the tensors as NumPy arrays, passes them to another
    library or uses ``graph.W_host`` raises. The gradient is taken through the function, so a
    value computed in NumPy (no gradient) is caught.

    Parameters
    ----------
    fn : callable ``fn(P, graph) -> scalar``
    P : array (N, K) — memberships or an embedding
    graph : a graph from :func:`make_graph` (it must hold ``W_host``)

    Returns
    -------
    value : float, gradient : ndarray (N, K) — zeros where ``fn`` does not depend on ``P``
    """
    import tensorflow as tf

    if not callable(fn):
        raise ValueError(f"fn must be a function fn(P, graph), got {fn!r}.")
    if getattr(graph, "W_host", None) is None:
        raise ValueError("graph must come from make_graph(X) (it needs its host copy W_host).")
    P = np.asarray(P, dtype=np.float32)
    n = graph.W_host.shape[0]
    if P.ndim != 2 or P.shape[0] != n:
        raise ValueError(f"P must have shape (N, K) with N = {n} rows (one per point), got {P.shape}.")
    call = _symbolic_caller(fn, graph.W_host, graph.n_clusters)
    V = tf.Variable(P)
    with tf.GradientTape() as tape:
        value = ops.mean(ops.cast(call(V, graph.X), "float32"))
    grad = tape.gradient(value, V)
    grad = np.zeros_like(P) if grad is None else np.asarray(ops.convert_to_numpy(grad))
    return float(ops.convert_to_numpy(value)), grad
