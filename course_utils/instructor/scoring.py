"""Scoring a student's target function (lecture 05's exercise): train it, turn the ARI into points.

:func:`score_target` trains the target ``fn(P, graph)`` through
:func:`course_utils.targets.clustering.fit_cluster` on one data set and turns the ARI into points.
Whatever the function does — raise, return NaN, return the wrong shape, not depend on ``P`` —
:func:`score_target` returns 0 points and a message saying what went wrong; it never raises, so a
grader cell never crashes.
"""
from __future__ import annotations

import importlib
import inspect
import sys
import traceback
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

__all__ = ["score_target", "total_points", "TargetScore", "own_work", "value_and_gradient", "lecture_copy"]


def value_and_gradient(fn: Callable, *args, wrt: int = 0, weights=None, compiled: bool = False):
    """``fn(*args)`` and the gradient of ``sum(weights * fn(*args))`` with respect to ``args[wrt]``.

    A task that asks for a differentiable ``keras.ops`` function is graded by its gradient, not by
    its source text: NumPy inside gives no gradient (``None``). Under the grader this runs where
    the student's function runs (the sandbox), and only the two arrays come back.

    Parameters
    ----------
    fn : callable
        The function to differentiate (TensorFlow backend).
    *args
        Its arguments; ``args[wrt]`` is watched.
    wrt : int
        Which argument to differentiate with respect to.
    weights : array-like, optional
        Weights of the output in the scalar that is differentiated (default: all ones).
    compiled : bool
        Run inside ``tf.function``, as a training step does.

    Returns
    -------
    value : ndarray
        ``fn(*args)``.
    gradient : ndarray or None
        None when no gradient reaches ``args[wrt]``.
    """
    import tensorflow as tf

    wrt = int(wrt)
    x = tf.convert_to_tensor(args[wrt])

    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = tf.convert_to_tensor(fn(*args[:wrt], x, *args[wrt + 1:]))
            total = tf.reduce_sum(out if weights is None else out * tf.cast(weights, out.dtype))
        return out, tape.gradient(total, x)

    out, grad = (tf.function(run) if compiled else run)(x)
    return np.asarray(out), (None if grad is None else np.asarray(grad))


def own_work(fn: Callable, *args, forbidden: Sequence[str] = (), **kwargs):
    """Call ``fn(*args, **kwargs)`` and fail if it calls a function that computes the answer.

    A graded task asks the student to *write* something (a WCSS, a Kohonen step); an answer that
    calls scikit-learn's ``KMeans.fit`` or the course's own ``sums_of_squares`` has not. Hidden
    tests wrap the student's function in this call. Under the grader the call runs where the
    student's code runs (in the sandbox: a ``course_utils`` function given the student's function
    is run there), with a profile hook that notices a call of any ``forbidden`` function, however
    the answer reached it (module attribute, imported name, alias, method).

    Parameters
    ----------
    fn : callable
        The student's function.
    *args
        Its positional arguments.
    **kwargs
        Its keyword arguments.
    forbidden : sequence of str
        ``"module:qualname"`` of each function the answer must not call, e.g.
        ``"sklearn.cluster:KMeans.fit"`` or ``"course_utils.metrics:sums_of_squares"``; a class
        stands for all of its own methods (``"course_utils.targets.models:SharpSoftmax"``).

    Returns
    -------
    object
        What ``fn`` returned.

    Raises
    ------
    AssertionError
        If ``fn`` called a forbidden function (the message names it, not the test).
    """
    codes = {}
    for spec in forbidden:
        module, _, qualname = str(spec).partition(":")
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if inspect.isclass(obj):                       # a class: any of its own methods
            found = [f.__code__ for f in vars(obj).values() if inspect.isfunction(f)]
        else:
            found = [getattr(inspect.unwrap(obj), "__code__", None)]
        if not found or None in found:
            raise ValueError(f"{spec!r} is not a Python function or class (give 'module:qualname' of one).")
        codes.update(dict.fromkeys(found, qualname))
    hits: list[str] = []

    def watch(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            hits.append(codes[frame.f_code])

    old = sys.getprofile()
    sys.setprofile(watch)
    try:
        out = fn(*args, **kwargs)
    finally:
        sys.setprofile(old)
    if hits:
        raise AssertionError(f"the answer calls {hits[0]}, which computes the result for you: write it yourself")
    return out


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
    fn : callable
        The student's target function ``fn(P, graph)``.
    X : array-like of shape (N, D)
        The data.
    y : array-like of shape (N,)
        The true labels (``n_clusters = len(unique(y))``).
    name : str
        How the data set is called in the message.
    max_points : float
        Points for a perfect result.
    thresholds : sequence of (float, float)
        ``(ari, fraction)`` pairs: the first one whose ARI is reached gives ``fraction · max_points``;
        below all of them: 0.
    seed : int
        Passed to :func:`course_utils.targets.clustering.fit_cluster`.
    **options
        Passed to :func:`course_utils.targets.clustering.fit_cluster` (e.g. ``n_neighbors``).

    The points are shuffled (by a permutation fixed by ``seed``) before training, so labels fixed
    in the data's own order are useless to a "target" that copies them.

    Returns
    -------
    TargetScore (never raises for a broken target: 0 points and the reason).
    """
    from sklearn.metrics import adjusted_rand_score

    from ..targets.clustering import fit_cluster
    from ..validation import check_data

    y = np.asarray(y)
    k = len(np.unique(y))
    try:
        X = check_data(X, min_samples=3)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y has {y.shape[0]} labels for {X.shape[0]} points.")
        order = np.random.default_rng(10_007 + int(seed)).permutation(X.shape[0])
        X, y = X[order], y[order]                      # labels fixed in the data's own order are useless
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
    """Sum of the points of several :class:`TargetScore` (for the last line of a grading cell).

    Parameters
    ----------
    scores : sequence of TargetScore
        The scores to add.

    Returns
    -------
    float
    """
    return round(float(sum(s.points for s in scores)), 3)


def lecture_copy(fn: Callable, *, output: str = "memberships", trials: int = 12, seed: int = 0) -> str | None:
    """Which of lecture 05's targets ``fn`` is, up to a scale and a constant, or None if none.

    The open moons task asks for a target of one's own; the lecture writes three in the notebook
    (ncut with its balance term, the spectral loss, IIC with its entropy weight), and a renamed
    copy must not earn the points. ``fn`` is evaluated as the grader does
    (:func:`course_utils.targets.assignment.evaluate_target`) on ``trials`` random network outputs
    on a small moons graph; its values are fitted by least squares on the lecture target's parts
    (ncut and the balance term; spectral; IIC's two sums) plus a constant. A fit within 0.1 % of the
    values' spread is a copy, whatever its weights; a target with a term of its own is not.

    Parameters
    ----------
    fn : callable
        The student's target ``fn(P, graph)``.
    output : {"memberships", "embedding"}
        What the network emits (as for :func:`score_target`).
    trials : int
        Random outputs to compare on (at least 6).
    seed : int
        Seed of the data and the outputs.

    Returns
    -------
    str or None
        ``"ncut"``, ``"spectral"`` or ``"iic"``; None when ``fn`` is none of them (or raises).
    """
    from ..data import moons
    from ..targets import graph_losses as gl
    from ..targets.assignment import evaluate_target, make_graph
    from ..validation import check_int

    check_int(trials, "trials", minimum=6)
    if output not in ("memberships", "embedding"):
        raise ValueError(f"output must be 'memberships' or 'embedding', got {output!r}.")
    X, _ = moons(150, noise=0.1, random_state=seed)
    graph = make_graph(X, n_neighbors=10)
    W, k, rng = graph.W_host, 2, np.random.default_rng(seed)
    losses = {"ncut": [gl.ncut_loss(W, k, balance=b) for b in (0.0, 1.0)],       # ncut, ncut + balance
              "iic": [gl.iic_loss(W, k, entropy_weight=w) for w in (1.0, 2.0)],   # any entropy weight: a mix
              "spectral": [gl.spectral_loss(W, k)]}
    names = ["spectral"] if output == "embedding" else ["ncut", "iic"]
    values, features = [], {n: [] for n in names}
    for _ in range(trials):
        Z = rng.normal(size=(len(X), k)) * rng.uniform(0.3, 3.0)
        P = (Z if output == "embedding" else np.exp(Z) / np.exp(Z).sum(1, keepdims=True)).astype(np.float32)
        try:
            values.append(evaluate_target(fn, P, graph)[0])
        except Exception:  # noqa: BLE001 - a broken target is scored elsewhere, not here
            return None
        for n in names:
            features[n].append([float(np.asarray(loss.target(P))) for loss in losses[n]])
    values = np.asarray(values, dtype=float)
    spread = values.std()
    if not np.all(np.isfinite(values)) or spread == 0:
        return None
    for n in names:
        A = np.column_stack([np.asarray(features[n]), np.ones(trials)])
        coef, *_ = np.linalg.lstsq(A, values, rcond=None)
        if np.sqrt(np.mean((A @ coef - values) ** 2)) < 1e-3 * spread:
            return n
    return None
