"""Input checks shared by every public function of :mod:`course_utils`.

Each check raises a :class:`ValueError` that says what was wrong *and* what to do
about it, so a student who passes a list of lists with a NaN, or asks for more
clusters than there are points, learns why straight away instead of meeting a NaN
loss 300 epochs later.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["check_data", "check_n_clusters", "check_labels", "check_positive", "check_proba"]


def check_data(X: Any, *, name: str = "X", ndim: int = 2, min_samples: int = 1,
               n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a finite float64 array of rank ``ndim`` or raise ``ValueError``.

    Parameters
    ----------
    X : array-like
        The data, one row per object.
    name : str
        How the argument is called in the error message.
    ndim : int
        The rank the caller needs (2 for a data matrix).
    min_samples : int
        The fewest rows that make sense for the caller.
    n_features : int, optional
        The number of columns the caller needs (for example a model's input size).
    """
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric (a NumPy array of numbers); "
                         f"converting it to float failed: {exc}") from None
    if arr.ndim != ndim:
        hint = " Use X.reshape(-1, 1) for a single feature." if (ndim == 2 and arr.ndim == 1) else ""
        raise ValueError(f"{name} must be a {ndim}-D array, got {arr.ndim}-D with shape {arr.shape}.{hint}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} has {arr.shape[0]} rows; at least {min_samples} are needed.")
    if ndim >= 2 and arr.shape[1] == 0:
        raise ValueError(f"{name} has no columns (shape {arr.shape}); give at least one feature.")
    if n_features is not None and ndim >= 2 and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features but {n_features} are expected "
                         f"(does the model's input size match the data?).")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); remove or impute them "
                         f"(e.g. X[~np.isnan(X).any(axis=1)]) before clustering.")
    return arr


def check_n_clusters(n_clusters: Any, X: np.ndarray | None = None, *, minimum: int = 1,
                     name: str = "n_clusters") -> int:
    """Return ``n_clusters`` as an int in ``[minimum, number of distinct rows of X]``."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {n_clusters!r} ({type(n_clusters).__name__}).")
    k = int(n_clusters)
    if k < minimum:
        why = " (a clustering loss needs at least two clusters to compare)" if minimum >= 2 else ""
        raise ValueError(f"{name} must be at least {minimum}{why}, got {k}.")
    if X is not None:
        distinct = len(np.unique(np.asarray(X), axis=0))
        if k > distinct:
            raise ValueError(f"{name}={k} is more than the {distinct} distinct points in the data; "
                             f"choose n_clusters <= {distinct}.")
    return k


def check_labels(labels: Any, n_samples: int | None = None, *, name: str = "labels") -> np.ndarray:
    """Return ``labels`` as a 1-D integer array (of length ``n_samples`` if given)."""
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per point), got shape {arr.shape}.")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} entries but the data has {n_samples} rows; "
                         f"give one label per row.")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must be whole numbers (cluster ids); got non-integer values.")
        arr = arr.astype(np.int64)
    return arr


def check_positive(value: Any, name: str, *, strict: bool = True) -> float:
    """Return ``value`` as a float that is > 0 (or >= 0 when ``strict`` is False)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"{name} must be {'>' if strict else '>='} 0 and finite, got {value!r}.")
    return v


def check_proba(P: Any, *, name: str = "P", n_samples: int | None = None) -> np.ndarray:
    """Return soft memberships ``P`` (N, K) with rows on the simplex, or raise ``ValueError``."""
    arr = check_data(P, name=name)
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} rows but the data has {n_samples}.")
    if np.any(arr < -1e-6) or not np.allclose(arr.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(f"{name} must hold membership probabilities: non-negative rows that sum "
                         f"to 1 (apply a softmax first).")
    return arr
