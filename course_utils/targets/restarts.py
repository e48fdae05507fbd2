"""Restarts: R networks trained as one model on the sum of their losses, and which one to keep.

:func:`course_utils.cluster` trains several restarts of a network — their outputs side by side,
``(N, R·d)`` (:func:`restart_seeds`, :func:`_parallel`, or one :mod:`~course_utils.targets.stacked`
layer), the loss the sum of the restarts' losses (:class:`_Restarts`) — and keeps the one whose
target function is lowest. Final losses differ in their last bits between CPUs, BLAS builds and
thread counts, so the rule treats near-equal losses as equal (see :func:`pick_restart`).
"""
from __future__ import annotations

from typing import Callable

import keras
import numpy as np
from keras import ops

from .base import ClusteringLoss

__all__ = ["pick_restart", "restart_seeds", "RESTART_RTOL", "RESTART_ATOL"]

#: Restart scores within ``RESTART_ATOL + RESTART_RTOL * |lowest|`` of the lowest count as equal.
RESTART_RTOL, RESTART_ATOL = 1e-3, 1e-4


def pick_restart(scores, rtol: float = RESTART_RTOL, atol: float = RESTART_ATOL) -> int:
    """Index of the restart to keep: the lowest index among those scoring (almost) the lowest.

    Training on another CPU, BLAS build or thread count changes the last bits of every restart's
    final loss. ``argmin`` would then pick a different restart among near-equal ones, and a stored
    result would not reproduce. The rule here cannot be flipped by such noise: every score within
    ``atol + rtol * |lowest|`` of the lowest counts as equal, and the lowest index among them wins.
    Non-finite scores (a collapsed restart) never win unless all are.

    Parameters
    ----------
    scores : sequence of float
        The final target-function value of every restart (lower is better).
    rtol : float
        Relative tolerance (times the lowest score's magnitude) under which two scores are equal.
    atol : float
        Absolute tolerance added to it.

    Returns
    -------
    int
        The restart kept.
    """
    s = np.asarray(scores, dtype=float).ravel()
    if s.size == 0:
        raise ValueError("pick_restart needs at least one score.")
    finite = np.isfinite(s)
    if not finite.any():
        return 0
    low = s[finite].min()
    return int(np.flatnonzero(finite & (s <= low + atol + rtol * abs(low)))[0])


class _Restarts(ClusteringLoss):
    """R copies of a target side by side: output (N, R·d) → Σ_r target(output[:, r·d:(r+1)·d])."""

    def __init__(self, loss: ClusteringLoss, n_restarts: int):
        super().__init__(loss.n_samples, loss.output_dim * n_restarts, f"{loss.name}_x{n_restarts}")
        self.inner, self.R, self.d = loss, n_restarts, loss.output_dim

    def target(self, y_pred):
        if getattr(self.inner, "batched", False):        # the graph losses: all restarts at once
            return ops.sum(self.inner.target(ops.reshape(y_pred, (-1, self.R, self.d))))   # (N, R, d)
        return ops.sum(ops.stack([ops.mean(self.inner.target(y_pred[:, r * self.d:(r + 1) * self.d]))
                                  for r in range(self.R)]))


def restart_seeds(seed: int, n_restarts: int) -> list[int]:
    """The seeds of the restarts' initial weights: ``seed + 1009·r`` for r = 0 … R−1.

    Parameters
    ----------
    seed : int
        The call's seed (restart 0 uses it).
    n_restarts : int
        R.

    Returns
    -------
    list of int
    """
    return [int(seed) + 1009 * r for r in range(int(n_restarts))]


def _parallel(build: Callable[[int], keras.Model], dim: int, seeds: list[int]) -> keras.Model:
    """One model holding the independent networks ``build(s)``, s in ``seeds``, side by side."""
    if len(seeds) == 1:
        return build(seeds[0])
    inp = keras.Input((dim,))
    outs = []
    for r, s in enumerate(seeds):
        net = build(s)
        net.name = f"{net.name}_{r}"        # names must be unique inside one model
        outs.append(net(inp))
    return keras.Model(inp, keras.layers.Concatenate()(outs), name=f"restarts_x{len(seeds)}")
