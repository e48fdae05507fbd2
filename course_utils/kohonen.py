"""Kohonen networks and the method of dynamic kernels (lecture 06).

A *classification* is a set of kernels (one per class) and a proximity measure
``d(x, a)``; the target to minimise is

.. math:: D = \\sum_{i=1}^{k} \\sum_{x \\in K_i} d(x, a_i).

Three kernel models, each with the kernel that is optimal for a fixed class:

=============  ===========================  =====================================
model          proximity ``d(x, a)``        optimal kernel of a class
=============  ===========================  =====================================
``spatial``    ``|x - a|^2``                the class mean
``spherical``  ``-(x, a)`` with ``|a| = 1`` the class mean normalised to length 1
``linear``     squared distance to the      ``b`` = class mean, ``c`` = the
               line ``x = b + t c``         principal direction (lecture iteration)
=============  ===========================  =====================================

Two ways to fit: :class:`KohonenNetwork` (online: the winning kernel moves toward
each object, learning rate decreasing from 0.5) and :class:`DynamicKernels`
(batch: assign every object, recompute every kernel, repeat). Both record the total
change of kernel coordinates per step in ``kernel_shift_``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin

from .validation import check_data, check_n_clusters, check_positive

__all__ = ["MODELS", "spatial_kernel", "spherical_kernel", "linear_kernel", "proximity",
           "kohonen_step", "line_angle", "KohonenNetwork", "DynamicKernels", "make_lines", "make_directions"]

MODELS = ("spatial", "spherical", "linear")


def _check_model(model: Any, allowed: tuple[str, ...] = MODELS) -> str:
    if model not in allowed:
        raise ValueError(f"model must be one of {allowed}, got {model!r}.")
    return model


def _rng(random_state):
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is not None and (isinstance(random_state, bool)
                                     or not isinstance(random_state, (int, np.integer)) or random_state < 0):
        raise ValueError(f"random_state must be None, a non-negative int or a numpy Generator, got {random_state!r}.")
    return np.random.default_rng(random_state)


def _check_int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


# ----------------------------------------------------------------------------------------
# Optimal kernels of one class
# ----------------------------------------------------------------------------------------
def spatial_kernel(X) -> np.ndarray:
    """Optimal kernel of the spatial model: ``argmin_a sum |x - a|^2`` = the class mean."""
    X = check_data(X, min_samples=1)
    return X.mean(axis=0)


def spherical_kernel(X) -> np.ndarray:
    """Optimal kernel of the spherical model: ``argmin_{|a|=1} -sum (x, a)`` = mean / |mean|.

    The Lagrange function ``-sum_j (x_j, a) + lambda (|a|^2 - 1)`` has the stationary point
    ``a = sum_j x_j / (2 lambda)``; the constraint fixes ``2 lambda = |sum_j x_j|``.
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
    X : array (n, d), the objects of one class.
    c0 : array (d,), optional — start of the iteration (default: the direction to the object
        farthest from the mean).
    tol, max_iter : stopping rule of the iteration.
    return_n_iter : also return the number of iterations.

    Returns
    -------
    b, c : arrays (d,) — a point of the line and its unit direction (and ``n_iter``).
    """
    X = check_data(X, min_samples=1)
    tol = check_positive(tol, "tol")
    max_iter = _check_int(max_iter, "max_iter")
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
    """Angle in degrees (0..90) between two lines with directions ``c1`` and ``c2``."""
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


class _KernelMixin(ClusterMixin, BaseEstimator):
    """Shared ``predict``/``score`` of the kernel classifiers."""

    def _check_fitted(self):
        if not hasattr(self, "kernels_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit(X) first.")

    def transform(self, X) -> np.ndarray:
        """Proximity of each object to each kernel, shape (N, K)."""
        self._check_fitted()
        X = check_data(X, n_features=self.n_features_in_)
        return proximity(X, self.kernels_, self.model)

    def predict(self, X) -> np.ndarray:
        """Index of the closest kernel for each object."""
        return np.argmin(self.transform(X), axis=1)

    def score(self, X, y=None) -> float:
        """Minus the target function on ``X`` (larger is better, as in scikit-learn)."""
        return -float(self.transform(X).min(axis=1).sum())

    @property
    def cluster_centers_(self) -> np.ndarray:
        """Kernels that are points (spatial, spherical) or the line points ``b`` (linear)."""
        self._check_fitted()
        return self.kernels_[:, 0, :] if self.model == "linear" else self.kernels_

    @property
    def inertia_(self) -> float:
        """Alias of ``objective_`` (scikit-learn's name)."""
        self._check_fitted()
        return self.objective_

    def _finish(self, X, A):
        P = proximity(X, A, self.model)
        self.kernels_ = A
        self.labels_ = np.argmin(P, axis=1)
        self.objective_ = float(P[np.arange(X.shape[0]), self.labels_].sum())
        self.n_features_in_ = X.shape[1]


class DynamicKernels(_KernelMixin):
    """The method of dynamic kernels: assign all objects, recompute every kernel, repeat.

    Parameters
    ----------
    n_clusters : int — number of classes k.
    model : {'spatial', 'spherical', 'linear'} — kernel model (see the module docstring).
    init : 'random' (k random objects; for lines, through them along their neighbourhood's
        main direction), 'k-means++', 'first' (the first k objects, as in the lecture) or an
        array of kernels ((k, d), or (k, 2, d) rows ``[b, c]`` for lines).
    n_init : int — runs from different random kernels; the one with the smallest target is kept.
    max_iter : int — at most this many assign/recompute steps per run.
    tol : float — stop when the kernels moved by less than this in total (and labels are stable).
    random_state : int, Generator or None.

    Attributes
    ----------
    kernels_ : (k, d), or (k, 2, d) for lines. cluster_centers_ : the point kernels (or ``b``).
    directions_ : (k, d) unit directions ``c`` (linear model only).
    labels_, objective_ (= inertia_), n_iter_,
    kernel_shift_ : list — total change of kernel coordinates at each step,
    objective_history_ : list — the target after each step (never increases).
    """

    def __init__(self, n_clusters: int = 2, *, model: str = "spatial", init="random", n_init: int = 1,
                 max_iter: int = 100, tol: float = 1e-8, random_state=None):
        self.n_clusters = n_clusters
        self.model = model
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _run(self, X, A, max_iter, tol):
        shifts, history = [], []
        labels = None
        it = 0
        for it in range(1, max_iter + 1):
            new_labels = np.argmin(proximity(X, A, self.model), axis=1)
            new = _optimal_kernels(X, new_labels, A, self.model)
            shifts.append(_kernel_shift(A, new, self.model))
            A = new
            P = proximity(X, A, self.model)
            history.append(float(P[np.arange(X.shape[0]), new_labels].sum()))
            stable = labels is not None and np.array_equal(labels, new_labels)
            labels = new_labels
            if stable or shifts[-1] <= tol:
                break
        return A, it, shifts, history

    def fit(self, X, y=None):
        model = _check_model(self.model)
        X = check_data(X, min_samples=2)
        k = check_n_clusters(self.n_clusters, X)
        n_init = _check_int(self.n_init, "n_init")
        max_iter = _check_int(self.max_iter, "max_iter")
        tol = check_positive(self.tol, "tol", strict=False)
        rng = _rng(self.random_state)
        if model == "spherical" and np.any(np.linalg.norm(X, axis=1) == 0):
            raise ValueError("the spherical model compares directions: X has zero rows; remove them.")
        best = None
        for _ in range(n_init if isinstance(self.init, str) else 1):
            A0 = _init_kernels(X, k, model, self.init, rng)
            A, it, shifts, history = self._run(X, A0, max_iter, tol)
            P = proximity(X, A, model)
            obj = float(P.min(axis=1).sum())
            if best is None or obj < best[0] - 1e-12:
                best = (obj, A, it, shifts, history)
        _, A, self.n_iter_, self.kernel_shift_, self.objective_history_ = best
        self._finish(X, A)
        if model == "linear":
            self.directions_ = A[:, 1, :]
        return self


class KohonenNetwork(_KernelMixin):
    """Kohonen training: for each object the winning kernel moves toward it.

    ``a_w <- a_w + eta_e (x - a_w)``, with ``eta_e`` decreasing linearly from ``learning_rate``
    (0.5 in the lecture) to ``learning_rate / n_epochs`` over the epochs. With ``map_shape``
    the kernels form a 1-D or 2-D map and the winner's map neighbours move too, with weight
    ``exp(-r^2 / (2 sigma_e^2))`` (``r`` = distance on the map, ``sigma_e`` shrinking from
    ``sigma`` to 0.1). The linear model cannot be trained this way: its kernels are not points.

    Parameters
    ----------
    n_clusters : int. model : {'spatial', 'spherical'}. learning_rate : float in (0, 1].
    n_epochs : int — passes through the data. map_shape : None, (k,) or (rows, cols).
    sigma : float — initial neighbourhood radius on the map. init : as in :class:`DynamicKernels`.
    shuffle : bool — visit the objects in a random order each epoch (else in data order).
    random_state : int, Generator or None.

    Attributes
    ----------
    kernels_, cluster_centers_, labels_, objective_ (= inertia_), n_iter_ (epochs run),
    kernel_shift_ : list — total change of kernel coordinates during each epoch,
    objective_history_ : list — the target after each epoch.
    """

    def __init__(self, n_clusters: int = 2, *, model: str = "spatial", learning_rate: float = 0.5,
                 n_epochs: int = 20, map_shape=None, sigma: float = 1.0, init="random",
                 shuffle: bool = True, random_state=None):
        self.n_clusters = n_clusters
        self.model = model
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.map_shape = map_shape
        self.sigma = sigma
        self.init = init
        self.shuffle = shuffle
        self.random_state = random_state

    def _grid(self, k):
        if self.map_shape is None:
            return None
        shape = tuple(np.atleast_1d(np.asarray(self.map_shape)).tolist())
        if len(shape) not in (1, 2) or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in shape):
            raise ValueError(f"map_shape must be None, (k,) or (rows, cols) of positive ints, got {self.map_shape!r}.")
        if int(np.prod(shape)) != k:
            raise ValueError(f"map_shape {shape} has {int(np.prod(shape))} nodes but n_clusters={k}; make them agree.")
        pos = np.array(np.unravel_index(np.arange(k), shape), dtype=float).T
        return ((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1)   # squared map distances (K, K)

    def fit(self, X, y=None):
        if self.model == "linear":
            raise ValueError("the linear model cannot be trained by the Kohonen rule: its kernels are lines, "
                             "not points an object could pull. Use DynamicKernels(model='linear').")
        model = _check_model(self.model, ("spatial", "spherical"))
        X = check_data(X, min_samples=2)
        k = check_n_clusters(self.n_clusters, X)
        eta0 = check_positive(self.learning_rate, "learning_rate")
        if eta0 > 1:
            raise ValueError(f"learning_rate must be in (0, 1] (the winner moves a fraction of the way), got {eta0}.")
        n_epochs = _check_int(self.n_epochs, "n_epochs")
        sigma0 = check_positive(self.sigma, "sigma")
        if model == "spherical" and np.any(np.linalg.norm(X, axis=1) == 0):
            raise ValueError("the spherical model compares directions: X has zero rows; remove them.")
        D2 = self._grid(k)
        rng = _rng(self.random_state)
        A = _init_kernels(X, k, model, self.init, rng)
        shifts, history = [], []
        n = X.shape[0]
        for e in range(n_epochs):
            eta = eta0 * (1.0 - e / n_epochs)
            if D2 is not None:
                sig = sigma0 * (0.1 / sigma0) ** (e / max(n_epochs - 1, 1))
                H = np.exp(-D2 / (2 * sig ** 2))
            start = A.copy()
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            for j in order:
                x = X[j]
                if model == "spatial":
                    w = int(np.argmin(((A - x) ** 2).sum(1)))
                else:
                    w = int(np.argmax(A @ x))
                if D2 is None:
                    A[w] += eta * (x - A[w])
                    if model == "spherical":
                        A[w] /= np.linalg.norm(A[w])
                else:
                    A += (eta * H[w])[:, None] * (x - A)
                    if model == "spherical":
                        A /= np.linalg.norm(A, axis=1, keepdims=True)
            shifts.append(float(np.linalg.norm(A - start, axis=1).sum()))
            history.append(float(proximity(X, A, model).min(axis=1).sum()))
        self.n_iter_ = n_epochs
        self.kernel_shift_ = shifts
        self.objective_history_ = history
        self._finish(X, A)
        return self


# ----------------------------------------------------------------------------------------
# Data for the lecture's examples
# ----------------------------------------------------------------------------------------
def make_lines(n_per_line: int = 100, *, angles=(15.0, 75.0, 135.0), points=((-6.0, -3.0), (6.0, 0.0), (-1.0, 6.0)),
               length: float = 8.0, noise: float = 0.2, random_state: int = 0):
    """Points scattered around segments of planted lines in the plane.

    Line ``i`` passes through ``points[i]`` with direction angle ``angles[i]`` (degrees); objects
    are ``p + t c + noise`` with ``t`` uniform in ``[-length/2, length/2]``.

    Returns
    -------
    X : (n_lines * n_per_line, 2). y : line ids. directions : (n_lines, 2) unit vectors.
    """
    n = _check_int(n_per_line, "n_per_line", minimum=2)
    ang = np.radians(np.asarray(angles, dtype=float).ravel())
    P = check_data(points, name="points", n_features=2)
    if P.shape[0] != ang.size:
        raise ValueError(f"got {ang.size} angles but {P.shape[0]} points; give one point per line.")
    length = check_positive(length, "length")
    noise = check_positive(noise, "noise", strict=False)
    rng = np.random.default_rng(random_state)
    C = np.column_stack([np.cos(ang), np.sin(ang)])
    t = rng.uniform(-length / 2, length / 2, size=(ang.size, n))
    X = P[:, None, :] + t[..., None] * C[:, None, :] + rng.normal(0, noise, size=(ang.size, n, 2))
    return X.reshape(-1, 2), np.repeat(np.arange(ang.size), n), C


def make_directions(n_per_direction: int = 100, *, angles=(0.0, 50.0, 100.0), spread: float = 8.0,
                    radius=(0.2, 6.0), random_state: int = 0):
    """Directional data: objects whose *direction* carries the class, lengths vary widely.

    Class ``i`` has direction angle ``angles[i]`` ± ``spread`` degrees (normal) and length
    uniform in ``radius``: the spherical model sees three classes, the spatial one is misled
    by the lengths.

    Returns
    -------
    X : (n_classes * n_per_direction, 2). y : class ids.
    """
    n = _check_int(n_per_direction, "n_per_direction", minimum=2)
    ang = np.asarray(angles, dtype=float).ravel()
    spread = check_positive(spread, "spread", strict=False)
    lo, hi = (float(r) for r in radius)
    if not 0 < lo < hi:
        raise ValueError(f"radius must be (low, high) with 0 < low < high, got {radius!r}.")
    rng = np.random.default_rng(random_state)
    a = np.radians(ang[:, None] + rng.normal(0, spread, size=(ang.size, n))).ravel()
    r = rng.uniform(lo, hi, size=a.size)
    return np.column_stack([r * np.cos(a), r * np.sin(a)]), np.repeat(np.arange(ang.size), n)
