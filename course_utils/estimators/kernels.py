"""The three kernel models of lecture 06: proximity measures and their optimal kernels.

A *classification* is a set of kernels (one per class) and a proximity ``d(x, a)``; for a fixed
class, the optimal kernel minimises the sum of proximities of its objects:

* ``spatial`` — ``d = |x - a|^2``; optimal kernel: the class mean;
* ``spherical`` — ``d = -(x, a)`` with ``|a| = 1``; optimal kernel: the class mean normalised to
  length 1 (a Lagrange multiplier for the constraint ``|a| = 1``);
* ``linear`` — ``d`` = squared distance to the line ``x = b + t c`` (``|c| = 1``); optimal kernel:
  ``b`` = the class mean, ``c`` = the principal direction, found by the lecture's iteration.

:mod:`course_utils.estimators.kohonen` fits classifications with these kernels.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_data, check_int, check_positive

__all__ = ["MODELS", "spatial_kernel", "spherical_kernel", "linear_kernel", "proximity",
           "kohonen_step", "line_angle"]


MODELS = ("spatial", "spherical", "linear")


def _check_model(model: Any, allowed: tuple[str, ...] = MODELS) -> str:
    if model not in allowed:
        raise ValueError(f"model must be one of {allowed}, got {model!r}.")
    return model


# ----------------------------------------------------------------------------------------
# Optimal kernels of one class
# ----------------------------------------------------------------------------------------
def spatial_kernel(X) -> np.ndarray:
    """Optimal kernel of the spatial model: ``argmin_a sum |x - a|^2`` = the class mean.

    Parameters
    ----------
    X : array-like of shape (n, d)
        The objects of one class.

    Returns
    -------
    ndarray of shape (d,)
    """
    X = check_data(X, min_samples=1)
    return X.mean(axis=0)


def spherical_kernel(X) -> np.ndarray:
    """Optimal kernel of the spherical model: ``argmin_{|a|=1} -sum (x, a)`` = mean / |mean|.

    The Lagrange function ``-sum_j (x_j, a) + lambda (|a|^2 - 1)`` has the stationary point
    ``a = sum_j x_j / (2 lambda)``; the constraint fixes ``2 lambda = |sum_j x_j|``.

    Parameters
    ----------
    X : array-like of shape (n, d)
        The objects of one class.

    Returns
    -------
    ndarray of shape (d,)
        A unit vector.
    """
    X = check_data(X, min_samples=1)
    s = X.sum(axis=0)
    norm = np.linalg.norm(s)
    if norm <= 1e-12 * max(1.0, np.abs(X).sum()):
        raise ValueError("the objects of this class sum to the zero vector, so every unit kernel is "
                         "equally good: the spherical kernel is undefined. Remove the class or the "
                         "opposite pairs of objects.")
    return s / norm


def _principal_iteration(Z: np.ndarray, c: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int]:
    """The lecture's iteration for the direction of a line through centred points ``Z``.

    ``t_j = (z_j, c)`` then ``c <- sum_j t_j z_j / |sum_j t_j z_j|``; repeat until ``c`` moves
    by less than ``tol``. It is the power method for the scatter matrix ``Z^T Z``.
    """
    c = c / np.linalg.norm(c)
    for it in range(1, max_iter + 1):
        t = Z @ c                      # step 2: projections on the current direction
        new = Z.T @ t                  # step 3: sum_j t_j z_j
        norm = np.linalg.norm(new)
        if norm == 0.0:                # c is orthogonal to every point (or the class is one point)
            return c, it
        new /= norm
        if new @ c < 0:                # a line has no orientation: keep the sign stable
            new = -new
        if np.linalg.norm(new - c) < tol:
            return new, it
        c = new
    return c, max_iter


def linear_kernel(X, c0=None, *, tol: float = 1e-10, max_iter: int = 1000,
                  return_n_iter: bool = False):
    """Optimal kernel of the linear model: the line ``x = b + t c`` (``|c| = 1``) nearest to ``X``.

    ``b`` is the class mean (formula (12) of the lecture) and ``c`` is found by the lecture's
    iteration (13): ``t_j = (x_j - b, c)``, ``c = sum_j t_j (x_j - b) / |...|``, until ``c``
    changes by less than ``tol``. The fixed point is the principal direction of the class.

    Parameters
    ----------
    X : array-like of shape (n, d)
        The objects of one class.
    c0 : array-like of shape (d,), optional
        Start of the iteration (default: the direction to the object farthest from the mean).
    tol : float
        Stop when ``c`` changes by less than this.
    max_iter : int
        The most iterations.
    return_n_iter : bool
        Also return the number of iterations.

    Returns
    -------
    b, c : arrays (d,) — a point of the line and its unit direction (and ``n_iter``).
    """
    X = check_data(X, min_samples=1)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    b = X.mean(axis=0)
    Z = X - b
    if c0 is None:
        far = Z[np.argmax((Z ** 2).sum(axis=1))]
        c0 = far if np.linalg.norm(far) > 0 else np.eye(X.shape[1])[0]
    c0 = check_data(c0, name="c0", ndim=1)
    if c0.shape[0] != X.shape[1] or np.linalg.norm(c0) == 0:
        raise ValueError(f"c0 must be a non-zero vector of length {X.shape[1]}, got {c0!r}.")
    c, n_iter = _principal_iteration(Z, c0, tol, max_iter)
    return (b, c, n_iter) if return_n_iter else (b, c)


def line_angle(c1, c2) -> float:
    """Angle in degrees (0..90) between two lines with directions ``c1`` and ``c2``.

    Parameters
    ----------
    c1 : array-like of shape (d,)
        Direction of the first line.
    c2 : array-like of shape (d,)
        Direction of the second line.

    Returns
    -------
    float
    """
    c1 = check_data(c1, name="c1", ndim=1)
    c2 = check_data(c2, name="c2", ndim=1)
    if c1.shape != c2.shape or np.linalg.norm(c1) == 0 or np.linalg.norm(c2) == 0:
        raise ValueError("c1 and c2 must be non-zero vectors of the same length.")
    u, v = c1 / np.linalg.norm(c1), c2 / np.linalg.norm(c2)
    cos = abs(u @ v)
    sin = np.linalg.norm(u - (u @ v) * v)       # atan2 stays accurate near 0 degrees
    return float(np.degrees(np.arctan2(sin, cos)))


# ----------------------------------------------------------------------------------------
# Proximity of every object to every kernel
# ----------------------------------------------------------------------------------------
def proximity(X, kernels, model: str = "spatial") -> np.ndarray:
    """Proximity matrix ``P[j, i] = d(x_j, a_i)`` (smaller = closer), shape (N, K).

    ``kernels`` is (K, d) for the spatial and spherical models and (K, 2, d) — rows
    ``[b_i, c_i]`` — for the linear model.

    Parameters
    ----------
    X : array-like of shape (N, d)
        The objects.
    kernels : array-like of shape (K, d) or (K, 2, d)
        The kernels of the model.
    model : {"spatial", "spherical", "linear"}
        The kernel model.

    Returns
    -------
    ndarray of shape (N, K)
    """
    model = _check_model(model)
    X = check_data(X)
    d = X.shape[1]
    A = np.asarray(kernels, dtype=float)
    if model == "linear":
        if A.ndim != 3 or A.shape[1:] != (2, d):
            raise ValueError(f"linear kernels must have shape (K, 2, {d}) (a point b and a direction c "
                             f"per line), got {A.shape}.")
        B, C = A[:, 0, :], A[:, 1, :]
        C = C / np.linalg.norm(C, axis=1, keepdims=True)
        sq = (X ** 2).sum(1)[:, None] - 2 * X @ B.T + (B ** 2).sum(1)[None, :]   # |x - b|^2
        t = X @ C.T - (B * C).sum(1)[None, :]                                      # (x - b, c)
        return np.maximum(sq - t ** 2, 0.0)
    A = check_data(A, name="kernels", n_features=d)
    if model == "spatial":
        return np.maximum((X ** 2).sum(1)[:, None] - 2 * X @ A.T + (A ** 2).sum(1)[None, :], 0.0)
    return -(X @ A.T)


def _optimal_kernels(X, labels, old, model, tol=1e-10, max_iter=1000):
    """Recompute every kernel from its class (an empty class keeps its kernel)."""
    new = old.copy()
    for i in range(old.shape[0]):
        members = X[labels == i]
        if members.shape[0] == 0:
            continue
        if model == "spatial":
            new[i] = members.mean(axis=0)
        elif model == "spherical":
            s = members.sum(axis=0)
            n = np.linalg.norm(s)
            if n > 0:
                new[i] = s / n
        else:
            b = members.mean(axis=0)
            c, _ = _principal_iteration(members - b, old[i, 1], tol, max_iter)
            new[i, 0], new[i, 1] = b, c
    return new


def _kernel_shift(old, new, model) -> float:
    """Total change of kernel coordinates: sum over kernels of the length of their move."""
    if model == "linear":
        sign = np.sign((old[:, 1] * new[:, 1]).sum(1))      # a line direction has no sign
        sign[sign == 0] = 1.0
        new = new.copy()
        new[:, 1] *= sign[:, None]
    diff = (new - old).reshape(old.shape[0], -1)
    return float(np.linalg.norm(diff, axis=1).sum())


def kohonen_step(kernels, x, learning_rate: float, neighbourhood=None) -> np.ndarray:
    """One Kohonen update: ``a_w <- a_w + eta (x - a_w)`` for the winner ``w`` (nearest kernel).

    With ``neighbourhood`` (a (K, K) matrix of weights ``h[w, i]``), every kernel moves:
    ``a_i <- a_i + eta h[w, i] (x - a_i)``. Returns the new kernels (a copy).

    Parameters
    ----------
    kernels : array-like of shape (K, d)
        The current kernels.
    x : array-like of shape (d,)
        One object.
    learning_rate : float
        The step ``eta`` (> 0).
    neighbourhood : array-like of shape (K, K), optional
        Weights ``h[w, i]`` of the Kohonen map; None moves the winner only.

    Returns
    -------
    ndarray of shape (K, d)
    """
    A = check_data(kernels, name="kernels")
    x = check_data(x, name="x", ndim=1)
    if x.shape[0] != A.shape[1]:
        raise ValueError(f"x has {x.shape[0]} coordinates but the kernels have {A.shape[1]}.")
    eta = check_positive(learning_rate, "learning_rate")
    w = int(np.argmin(((A - x) ** 2).sum(axis=1)))
    if neighbourhood is None:
        h = np.zeros(A.shape[0])
        h[w] = 1.0
    else:
        H = np.asarray(neighbourhood, dtype=float)
        if H.shape != (A.shape[0], A.shape[0]):
            raise ValueError(f"neighbourhood must be a ({A.shape[0]}, {A.shape[0]}) matrix, got {H.shape}.")
        h = H[w]
    return A + eta * h[:, None] * (x - A)


# ----------------------------------------------------------------------------------------
# Estimators
# ----------------------------------------------------------------------------------------
def _init_kernels(X, k, model, init, rng):
    n, d = X.shape
    if isinstance(init, str):
        if init == "first":
            idx = np.arange(k)
        elif init == "random":
            idx = rng.choice(n, size=k, replace=False)
        elif init == "k-means++":
            idx = [int(rng.integers(n))]
            d2 = ((X - X[idx[0]]) ** 2).sum(1)
            for _ in range(1, k):
                p = d2 / d2.sum() if d2.sum() > 0 else np.full(n, 1.0 / n)
                idx.append(int(rng.choice(n, p=p)))
                d2 = np.minimum(d2, ((X - X[idx[-1]]) ** 2).sum(1))
            idx = np.array(idx)
        else:
            raise ValueError(f"init must be 'random', 'k-means++', 'first' or an array of kernels, got {init!r}.")
        if model == "linear":
            # a line through each chosen object along the main direction of its neighbourhood
            m = int(min(n, max(d + 1, n // (2 * k))))
            A = np.empty((k, 2, d))
            for i, j in enumerate(idx):
                near = np.argsort(((X - X[j]) ** 2).sum(1))[:m]
                Z = X[near] - X[near].mean(0)
                _, _, vt = np.linalg.svd(Z, full_matrices=False)
                A[i, 0], A[i, 1] = X[j], vt[0]
            return A
        A = X[idx].copy()
    else:
        A = np.array(init, dtype=float)
        shape = (k, 2, d) if model == "linear" else (k, d)
        if A.shape != shape or not np.all(np.isfinite(A)):
            raise ValueError(f"init array must be finite with shape {shape}, got {A.shape}.")
        if model == "linear":
            nrm = np.linalg.norm(A[:, 1], axis=1)
            if np.any(nrm == 0):
                raise ValueError("initial line directions c must be non-zero.")
            A[:, 1] /= nrm[:, None]
            return A
    if model == "spherical":
        nrm = np.linalg.norm(A, axis=1)
        if np.any(nrm == 0):
            raise ValueError("spherical kernels need non-zero initial vectors (a zero object was chosen).")
        A = A / nrm[:, None]
    return A
