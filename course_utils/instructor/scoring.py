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

__all__ = ["score_target", "train_labels", "total_points", "TargetScore", "own_work", "value_and_gradient"]


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


def own_work(fn: Callable, *args, forbidden: Sequence[str] = (), forbidden_packages: Sequence[str] = (),
             seeds: Sequence[int] | None = None, **kwargs):
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
    forbidden_packages : sequence of str
        Top-level packages (e.g. ``"sklearn"``, ``"scipy"``, ``"course_utils"``) the answer must not
        call into at all, by any of their functions — Python ones and compiled ones (a Cython
        ``scipy.cluster.vq.vq``, a private ``sklearn`` helper): for a task that says "use NumPy",
        a list of single functions always misses one.
    seeds : sequence of int, optional
        Call ``fn(*args, seed, **kwargs)`` once per seed, all under the watch, and return the list
        of results: a random answer judged by how often it draws what (k-means++), with every draw
        watched, so an answer cannot behave one way when watched and another when not.

    Returns
    -------
    object
        What ``fn`` returned (a list, one result per seed, with ``seeds``).

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
    banned = {str(p).split(".")[0] for p in forbidden_packages}

    def package(name) -> str:
        return name.split(".")[0] if isinstance(name, str) else ""

    def watch(frame, event, arg):
        if event == "call":
            if frame.f_code in codes:
                hits.append(codes[frame.f_code])
            elif banned and package(frame.f_globals.get("__name__")) in banned:
                hits.append(f"{frame.f_globals['__name__']}.{frame.f_code.co_name}")
        elif event == "c_call" and banned:
            owner = getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
            if package(owner) in banned:
                hits.append(f"{owner}.{getattr(arg, '__name__', '?')}")

    old = sys.getprofile()
    sys.setprofile(watch)
    try:
        if seeds is None:
            out = fn(*args, **kwargs)
        else:
            out = []
            for seed in seeds:                         # a plain loop: no frame of ours for the watch to see
                out.append(fn(*args, int(seed), **kwargs))
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


def train_labels(fn: Callable, X, n_clusters: int, seed: int = 0, **options) -> np.ndarray:
    """Train the target ``fn(P, graph)`` on ``X`` and return the labels: the half of
    :func:`score_target` that runs the student's code, and needs no truth.

    Under the grader this half runs in the sandbox and the other half (the truth, the ARI) in the
    grader: the student's function runs inside this call, so anything this call holds — its own
    frames, its arguments — the function can reach (``sys._getframe``); the true labels are not
    among them.

    Parameters
    ----------
    fn : callable
        The student's target function ``fn(P, graph)``.
    X : array-like of shape (N, D)
        The data (already shuffled by :func:`score_target`).
    n_clusters : int
        The number of clusters.
    seed : int
        Passed to :func:`course_utils.targets.clustering.fit_cluster`.
    **options
        Passed to :func:`course_utils.targets.clustering.fit_cluster`.

    Returns
    -------
    ndarray of shape (N,)

    Raises
    ------
    FloatingPointError
        If the loss became NaN/inf during training.
    """
    from ..targets.clustering import fit_cluster

    res = fit_cluster(X, n_clusters, fn, seed, **options)
    if not all(np.isfinite(res.losses)):
        raise FloatingPointError("the loss became NaN/inf during training; guard divisions and logs.")
    return np.asarray(res.labels)


def _score(train: Callable, X, y, name: str, max_points: float, thresholds, seed: int, options: dict) -> TargetScore:
    """Shuffle, ``train(X, k, seed, **options) -> labels``, and turn the ARI with ``y`` into points."""
    from sklearn.metrics import adjusted_rand_score

    from ..validation import check_data

    y = np.asarray(y)
    k = len(np.unique(y))
    try:
        X = check_data(X, min_samples=3)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y has {y.shape[0]} labels for {X.shape[0]} points.")
        order = np.random.default_rng(10_007 + int(seed)).permutation(X.shape[0])
        X, y = X[order], y[order]                      # labels fixed in the data's own order are useless
        labels = np.asarray(train(X, k, seed, **options))
    except Exception as exc:  # noqa: BLE001 - the grader must survive any student code
        plain = isinstance(exc, (ValueError, FloatingPointError))
        msg = getattr(exc, "evalue", None) or str(exc) if plain else f"{type(exc).__name__}: {exc}"
        if not plain:
            msg += " | " + traceback.format_exc(limit=2).strip().splitlines()[-1]
        return TargetScore(name, 0.0, 0.0, float(max_points), "0 points: " + str(msg)[:300])
    ari = float(adjusted_rand_score(y, labels))
    frac = next((f for t, f in sorted(thresholds, reverse=True) if ari >= t), 0.0)
    return TargetScore(name, ari, round(float(max_points) * frac, 3), float(max_points))


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
    in the data's own order are useless to a "target" that copies them. The grader runs only the
    training (:func:`train_labels`) where the student's code runs; ``y`` never goes there
    (``score_target.__grader_split__``).

    Returns
    -------
    TargetScore (never raises for a broken target: 0 points and the reason).
    """
    return _score(lambda X_, k, s, **o: train_labels(fn, X_, k, s, **o), X, y, name, max_points, thresholds,
                  seed, options)


def _score_target_split(remote: Callable, fn: Callable, X, y, *, name: str = "data", max_points: float = 1.0,
                        thresholds: Sequence[tuple[float, float]] = ((0.9, 1.0), (0.7, 0.5)),
                        seed: int = 0, **options) -> TargetScore:
    """:func:`score_target` as the grader runs it: ``remote(train_labels, ...)`` trains in the sandbox,
    the truth and the ARI stay in the grader."""
    return _score(lambda X_, k, s, **o: remote(train_labels, fn, X_, k, s, **o), X, y, name, max_points,
                  thresholds, seed, options)


score_target.__grader_split__ = _score_target_split


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
