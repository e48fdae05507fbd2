"""The lecture-05 exercise: train *your own* target function and score it safely.

A student target is a plain function ``fn(P, graph) -> scalar`` of the soft memberships ``P``
(N, K tensor, rows sum to 1) and a :class:`course_utils.clustering.Graph` (``graph.X``, ``graph.W``,
``graph.degree``, ``graph.n_clusters``), written with :mod:`keras.ops`. :func:`target_loss` turns
it into a Keras loss; :func:`score_target` trains it through :func:`course_utils.clustering.fit_cluster`
on one data set and turns the ARI into points. Whatever the function does — raise, return NaN,
return the wrong shape, not depend on ``P`` — :func:`score_target` returns 0 points and a
message saying what went wrong; it never raises, so a grader cell never crashes.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from keras import ops

from .losses import ClusteringLoss, _to_backend
from .validation import check_data

__all__ = ["make_graph", "target_loss", "check_target", "score_target", "total_points", "TargetScore"]


def make_graph(X, n_neighbors: int = 10, *, weights: str = "snn"):
    """The :class:`course_utils.clustering.Graph` a target function receives, for data ``X``.

    Useful to try a target by hand: ``fn(P, make_graph(X))``. (:func:`score_target` standardises
    ``X`` first and builds the graph itself.)
    """
    from .graph_losses import knn_graph

    X = check_data(X, min_samples=3)
    W = knn_graph(X, n_neighbors, weights=weights)
    return _TargetLoss(lambda P, g: ops.sum(P), X, W, 2).graph


class _TargetLoss(ClusteringLoss):
    def __init__(self, fn: Callable, Xs: np.ndarray, W, n_clusters: int, output: str = "memberships"):
        super().__init__(Xs.shape[0], n_clusters, getattr(fn, "__name__", "student_target"))
        self.output = output
        from .clustering import Graph

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
    """Evaluate the target on random memberships; return '' if it is usable, else why not."""
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


@dataclass
class TargetScore:
    """The result of :func:`score_target` — printable as one line."""
    data: str
    ari: float
    points: float
    max_points: float
    message: str = ""

    def __str__(self) -> str:
        head = f"{self.data}: ARI {self.ari:.3f} -> {self.points:g}/{self.max_points:g} points"
        return head + (f" ({self.message})" if self.message else "")


def score_target(fn: Callable, X, y, *, name: str = "data", max_points: float = 1.0,
                 thresholds: Sequence[tuple[float, float]] = ((0.9, 1.0), (0.7, 0.5)),
                 seed: int = 0, **options) -> TargetScore:
    """Train the target ``fn(P, graph)`` on ``X`` and score the ARI against the truth ``y``.

    Parameters
    ----------
    fn : the student's target function
    X, y : data and true labels (``n_clusters = len(unique(y))``)
    name : how the data set is called in the message
    max_points : points for a perfect result
    thresholds : ``(ari, fraction)`` pairs: the first one whose ARI is reached gives
        ``fraction · max_points``; below all of them: 0.
    seed, **options : passed to :func:`course_utils.clustering.fit_cluster` (e.g. ``n_neighbors``)

    Returns
    -------
    TargetScore (never raises for a broken target: 0 points and the reason).
    """
    from sklearn.metrics import adjusted_rand_score

    from .clustering import fit_cluster

    y = np.asarray(y)
    k = len(np.unique(y))
    try:
        res = fit_cluster(X, k, fn, seed, **options)
    except Exception as exc:  # noqa: BLE001 - the grader must survive any student code
        msg = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, (ValueError, FloatingPointError)):
            msg += " | " + traceback.format_exc(limit=2).strip().splitlines()[-1]
        return TargetScore(name, 0.0, 0.0, float(max_points), "0 points: " + msg[:300])
    if not all(np.isfinite(res.losses)):
        return TargetScore(name, 0.0, 0.0, float(max_points),
                           "0 points: the loss became NaN/inf during training; guard divisions and logs.")
    ari = float(adjusted_rand_score(y, res.labels))
    frac = next((f for t, f in sorted(thresholds, reverse=True) if ari >= t), 0.0)
    return TargetScore(name, ari, round(float(max_points) * frac, 3), float(max_points))


def total_points(scores: Sequence[TargetScore]) -> float:
    """Sum of the points of several :class:`TargetScore` (for the last line of a grading cell)."""
    return round(float(sum(s.points for s in scores)), 3)
