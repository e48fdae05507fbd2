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

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

from ..data import make_directions, make_lines  # noqa: F401 (re-exported: lecture 06 imports them here)
from ..validation import check_data, check_fitted, check_int, check_n_clusters, check_positive, check_random_state

__all__ = ["MODELS", "spatial_kernel", "spherical_kernel", "linear_kernel", "proximity",
           "kohonen_step", "line_angle", "KohonenNetwork", "DynamicKernels", "make_lines", "make_directions"]

from .kernels import (  # noqa: F401 (re-exported)
    MODELS,
    _check_model,
    _init_kernels,
    _kernel_shift,
    _optimal_kernels,
    kohonen_step,
    line_angle,
    linear_kernel,
    proximity,
    spatial_kernel,
    spherical_kernel,
)


class _KernelMixin(TransformerMixin, ClusterMixin, BaseEstimator):
    """Shared ``predict``/``score`` of the kernel classifiers."""

    def _check_fitted(self):
        check_fitted(self, "kernels_")

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
        n_init = check_int(self.n_init, "n_init", minimum=1)
        max_iter = check_int(self.max_iter, "max_iter", minimum=1)
        tol = check_positive(self.tol, "tol", strict=False)
        rng = check_random_state(self.random_state, generator=True)
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
        if len(shape) not in (1, 2) or any(type(s) is not int or s < 1 for s in shape):
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
        n_epochs = check_int(self.n_epochs, "n_epochs", minimum=1)
        sigma0 = check_positive(self.sigma, "sigma")
        if model == "spherical" and np.any(np.linalg.norm(X, axis=1) == 0):
            raise ValueError("the spherical model compares directions: X has zero rows; remove them.")
        D2 = self._grid(k)
        rng = check_random_state(self.random_state, generator=True)
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
