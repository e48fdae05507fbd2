"""Which restart to keep: a rule that another CPU's rounding cannot flip.

:func:`course_utils.cluster` trains several restarts of a network and keeps the one whose target
function is lowest. Final losses differ in their last bits between CPUs, BLAS builds and thread
counts, so the rule treats near-equal losses as equal (see :func:`pick_restart`).
"""
from __future__ import annotations

import numpy as np

__all__ = ["pick_restart", "RESTART_RTOL", "RESTART_ATOL"]

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
