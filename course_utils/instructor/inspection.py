"""What an answer *is*, beyond what it returns: a renamed lecture target, a memory-hungry formula.

Hidden tests use these where the value alone cannot tell a solved task from a shortcut:
:func:`lecture_copy` recognises a copy of lecture 05's targets (the open moons task asks for one's
own), :func:`largest_intermediate` measures the largest array a ``keras.ops`` function builds
(exercise 01 asks for squared distances without the (N, M, D) tensor). Under the grader both run
where the student's code runs, given the student's function, and return plain numbers.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["lecture_copy", "largest_intermediate"]


def lecture_copy(fn: Callable, X=None, *, output: str = "memberships", trials: int = 16,
                 seed: int = 0) -> str | None:
    """Which of lecture 05's targets ``fn`` is — up to a scale, a shift or a simple monotone
    transform — or None if none.

    The open moons task asks for a target of one's own; the lecture writes three in the notebook
    (ncut with its balance term, the spectral loss, IIC with its entropy weight), and a renamed
    copy must not earn the points. ``fn`` is evaluated as the grader does
    (:func:`course_utils.targets.assignment.evaluate_target`) on ``trials`` network outputs of
    very different quality (straight cuts of the data at many angles, blurred by noise), so the
    lecture targets' values spread widely. Its values ``v`` — and ``exp v``, ``v²``, ``√v`` (a
    copy passed through ``log``, ``√``, a square) — are fitted by least squares on the lecture
    target's parts (ncut and the balance term; spectral; IIC's two sums; for an embedding also
    ncut and IIC of ``softmax(Y)``) plus a constant. A fit within 0.3 % of the values' spread is a
    copy, whatever its weights; a target with a term of its own is not.

    Parameters
    ----------
    fn : callable
        The student's target ``fn(P, graph)``.
    X : array-like of shape (N, 2), optional
        The data to probe on (default: 150 moons); give the graded data set, so that a target
        cannot tell the probe from the training.
    output : {"memberships", "embedding"}
        What the network emits (as for :func:`score_target`).
    trials : int
        Network outputs to compare on (at least 8).
    seed : int
        Seed of the data and the outputs.

    Returns
    -------
    str or None
        ``"ncut"``, ``"spectral"`` or ``"iic"``; None when ``fn`` is none of them (or raises).
    """
    from functools import partial

    from scipy.special import softmax

    from ..data import moons, standardize
    from ..targets import graph_losses as gl
    from ..targets.assignment import evaluate_target, make_graph
    from ..validation import check_data, check_int

    check_int(trials, "trials", minimum=8)
    if output not in ("memberships", "embedding"):
        raise ValueError(f"output must be 'memberships' or 'embedding', got {output!r}.")
    X = moons(150, noise=0.1, random_state=seed)[0] if X is None else check_data(X, min_samples=10)
    graph = make_graph(standardize(X), n_neighbors=10)
    W, k, rng = graph.W_host, 2, np.random.default_rng(seed)
    families = {"ncut": [gl.ncut_loss(W, k, balance=b) for b in (0.0, 1.0)],       # ncut, ncut + balance
                "iic": [gl.iic_loss(W, k, entropy_weight=w) for w in (1.0, 2.0)],   # any entropy weight: a mix
                "spectral": [gl.spectral_loss(W, k)]}
    soft = partial(softmax, axis=1)
    if output == "embedding":
        views = {"spectral": lambda Y: Y, "ncut": soft, "iic": soft}
    else:
        views = {"ncut": lambda P: P, "iic": lambda P: P}
    Xs = standardize(X)
    values, parts = [], {n: [] for n in views}
    for t in range(trials):
        theta = np.pi * t / trials                                  # a straight cut, blurred by noise
        u = Xs @ np.array([np.cos(theta), np.sin(theta)])
        cut = (u > np.quantile(u, 0.25 + 0.5 * rng.random())).astype(int)
        blur = 0.05 + 0.9 * (t % 4) / 3
        Z = rng.normal(size=(len(X), k))
        if output == "embedding":
            out = np.eye(k)[cut] + blur * Z
        else:
            out = (1 - blur) * np.eye(k)[cut] + blur * soft(2 * Z)
        out = out.astype(np.float32)
        try:
            values.append(evaluate_target(fn, out, graph)[0])
        except Exception:  # noqa: BLE001 - a broken target is scored elsewhere, not here
            return None
        for n, view in views.items():
            parts[n].append([float(np.asarray(loss.target(view(out).astype(np.float32)))) for loss in families[n]])
    v = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(v)) or v.std() == 0:
        return None
    with np.errstate(all="ignore"):
        candidates = [v, np.exp(v - v.max()), v ** 2, np.sqrt(np.abs(v))]   # undo log, sqrt, square
    for n in views:
        A = np.column_stack([np.asarray(parts[n]), np.ones(trials)])
        for c in candidates:
            if not np.all(np.isfinite(c)) or c.std() == 0:
                continue
            coef, *_ = np.linalg.lstsq(A, c, rcond=None)
            if np.sqrt(np.mean((A @ coef - c) ** 2)) < 3e-3 * c.std():
                return n
    return None


def largest_intermediate(fn: Callable, *args) -> int:
    """The most elements of any tensor ``fn(*args)`` computes, traced once as a TensorFlow graph.

    A task that asks for a memory-light formula (squared distances as ``‖x‖² + ‖z‖² − 2 x·z``,
    never the (N, M, D) tensor of differences) is graded by what the function builds, not by its
    source text.

    Parameters
    ----------
    fn : callable
        A function of tensors written with ``keras.ops`` (TensorFlow backend).
    *args
        Arrays; their shapes and dtypes fix the trace.

    Returns
    -------
    int
        The largest number of elements of an operation's output in the traced graph.
    """
    import tensorflow as tf

    specs = [tf.TensorSpec(np.shape(a), tf.as_dtype(np.asarray(a).dtype)) for a in args]
    graph = tf.function(fn).get_concrete_function(*specs).graph
    return max((int(np.prod(t.shape.as_list())) for op in graph.get_operations() for t in op.outputs
                if t.shape.rank is not None and None not in t.shape.as_list()), default=0)
