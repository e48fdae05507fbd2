"""The lectures' data sets, with the lectures' parameters as defaults.

Thin wrappers over scikit-learn's generators and bundled data: nothing is
downloaded. Each generator returns ``(X, y)`` (plus the true centres for blobs)
so notebooks can compare a clustering with the truth.
"""
from __future__ import annotations

import numpy as np
from sklearn import datasets

from .validation import check_data, check_int, check_positive

__all__ = ["blobs", "moons", "circles", "iris", "image_pixels", "standardize"]


def blobs(n_samples: int = 300, n_clusters: int = 3, *, n_features: int = 2, box: float = 10.0,
          cluster_std: float = 1.0, random_state: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian blobs as in lectures 02–03: ``make_blobs(..., center_box=(-box, box))``.

    The lecture defaults are ``blobs()`` (300 points, box ±10) and ``blobs(500, box=15)``.

    Parameters
    ----------
    n_samples : int
        Number of points (at least 2).
    n_clusters : int
        Number of blobs, in ``[1, n_samples]``.
    n_features : int
        Dimension of the points.
    box : float
        The blob centres are drawn uniformly in ``[-box, box]`` on every axis.
    cluster_std : float
        Standard deviation of every blob.
    random_state : int
        Seed.

    Returns
    -------
    X : ndarray (n_samples, n_features)
    y : ndarray (n_samples,) true cluster ids
    centers : ndarray (n_clusters, n_features) the true centres the blobs were drawn around
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    check_int(n_clusters, "n_clusters", minimum=1, maximum=n_samples, hint=" (at most n_samples)")
    box = check_positive(box, "box")
    X, y, centers = datasets.make_blobs(n_samples=n_samples, centers=int(n_clusters), n_features=n_features,
                                        center_box=(-box, box), cluster_std=cluster_std,
                                        random_state=random_state, return_centers=True)
    return X, y, centers


def moons(n_samples: int = 500, *, noise: float = 0.1, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (lecture 05's assignment): ``make_moons(noise=0.1)``.

    Parameters
    ----------
    n_samples : int
        Number of points (at least 2).
    noise : float
        Standard deviation of the Gaussian noise added to the points.
    random_state : int
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        The moon of each point (0 or 1).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_positive(noise, "noise", strict=False)
    return datasets.make_moons(n_samples=n_samples, noise=noise, random_state=random_state)


def circles(n_samples: int = 500, *, noise: float = 0.1, factor: float = 0.2,
            random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (lecture 05): ``make_circles(noise=0.1, factor=0.2)``.

    Parameters
    ----------
    n_samples : int
        Number of points (at least 2).
    noise : float
        Standard deviation of the Gaussian noise added to the points.
    factor : float
        Radius of the inner circle relative to the outer one, in (0, 1).
    random_state : int
        Seed.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
        The circle of each point (0 outer, 1 inner).
    """
    n_samples = check_int(n_samples, "n_samples", minimum=2)
    noise = check_positive(noise, "noise", strict=False)
    if not 0 < factor < 1:
        raise ValueError(f"factor is the inner/outer radius ratio and must be in (0, 1), got {factor!r}.")
    return datasets.make_circles(n_samples=n_samples, noise=noise, factor=factor, random_state=random_state)


def iris() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris (150 × 4, three species), bundled with scikit-learn; R's ``iris[, 1:4]``."""
    data = datasets.load_iris()
    return data.data.astype(np.float64), data.target


def image_pixels(name: str = "china.jpg", *, scale: int = 4) -> tuple[np.ndarray, tuple[int, int]]:
    """Pixels of a scikit-learn bundled sample image as an (n_pixels, 3) array in [0, 1].

    Parameters
    ----------
    name : {"china.jpg", "flower.jpg"}
        One of scikit-learn's two bundled photographs.
    scale : int
        Keep every ``scale``-th row and column (4 gives 107 × 160 = 17 120 pixels), so that
        clustering the colours is quick in class.

    Returns
    -------
    pixels : ndarray (h*w, 3) RGB values in [0, 1]
    shape : (h, w) to reshape labels or pixels back into an image
    """
    if name not in ("china.jpg", "flower.jpg"):
        raise ValueError(f"name must be 'china.jpg' or 'flower.jpg' (scikit-learn's bundled images), got {name!r}.")
    check_int(scale, "scale", minimum=1)
    img = datasets.load_sample_image(name)[::scale, ::scale].astype(np.float64) / 255.0
    h, w, _ = img.shape
    return img.reshape(-1, 3), (h, w)


def standardize(X, *, return_params: bool = False):
    """Scale every column to mean 0 and standard deviation 1 (constant columns are left at 0).

    With ``return_params=True`` also return ``(mean, std)`` to map centres back:
    ``centers * std + mean``.

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    return_params : bool
        Also return the column means and standard deviations.

    Returns
    -------
    Xs : ndarray of shape (N, D)
        The standardised data.
    mean, std : ndarray of shape (D,)
        Only with ``return_params=True`` (then the result is ``(Xs, mean, std)``).
    """
    X = check_data(X)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    Z = (X - mean) / std
    return (Z, mean, std) if return_params else Z
