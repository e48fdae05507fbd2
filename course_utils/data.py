"""The lectures' data sets, with the lectures' parameters as defaults.

Thin wrappers over scikit-learn's generators and bundled data: nothing is
downloaded. Each generator returns ``(X, y)`` (plus the true centres for blobs)
so notebooks can compare a clustering with the truth. The lectures' own generated data live here
too (lecture 06's lines, directions and hierarchy; lecture 08's integer points); the lecture modules
re-export them.
"""
from __future__ import annotations

import numpy as np
from sklearn import datasets

from .validation import check_data, check_int, check_positive

__all__ = ["blobs", "moons", "circles", "iris", "image_pixels", "standardize", "make_lines", "make_directions",
           "make_hierarchical", "lecture_points"]


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


# ---------------------------------------------------------------------------------------------
# the lectures' own generated data (06: lines, directions, a hierarchy; 08: the seed's integer points)
# ---------------------------------------------------------------------------------------------
def make_lines(n_per_line: int = 100, *, angles=(15.0, 75.0, 135.0), points=((-6.0, -3.0), (6.0, 0.0), (-1.0, 6.0)),
               length: float = 8.0, noise: float = 0.2, random_state: int = 0):
    """Points scattered around segments of planted lines in the plane.

    Line ``i`` passes through ``points[i]`` with direction angle ``angles[i]`` (degrees); objects
    are ``p + t c + noise`` with ``t`` uniform in ``[-length/2, length/2]``.

    Parameters
    ----------
    n_per_line : int
        Objects per line (at least 2).
    angles : sequence of float
        Direction of each line, in degrees.
    points : sequence of (float, float)
        A point of each line.
    length : float
        Length of the segment the objects are spread along.
    noise : float
        Standard deviation of the Gaussian noise.
    random_state : int
        Seed.

    Returns
    -------
    X : (n_lines * n_per_line, 2). y : line ids. directions : (n_lines, 2) unit vectors.
    """
    n = check_int(n_per_line, "n_per_line", minimum=2)
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

    Parameters
    ----------
    n_per_direction : int
        Objects per class (at least 2).
    angles : sequence of float
        Direction of each class, in degrees.
    spread : float
        Standard deviation of the directions, in degrees.
    radius : (float, float)
        Range of the objects' lengths.
    random_state : int
        Seed.

    Returns
    -------
    X : (n_classes * n_per_direction, 2). y : class ids.
    """
    n = check_int(n_per_direction, "n_per_direction", minimum=2)
    ang = np.asarray(angles, dtype=float).ravel()
    spread = check_positive(spread, "spread", strict=False)
    lo, hi = (float(r) for r in radius)
    if not 0 < lo < hi:
        raise ValueError(f"radius must be (low, high) with 0 < low < high, got {radius!r}.")
    rng = np.random.default_rng(random_state)
    a = np.radians(ang[:, None] + rng.normal(0, spread, size=(ang.size, n))).ravel()
    r = rng.uniform(lo, hi, size=a.size)
    return np.column_stack([r * np.cos(a), r * np.sin(a)]), np.repeat(np.arange(ang.size), n)


def make_hierarchical(n_per_blob: int = 60, *, random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Data built like the lecture's example: two groups that split into five classes.

    An elongated blob on the left (``1.5 * n_per_blob`` objects) and, far to the right, two
    pairs of tight blobs (``n_per_blob`` each). Expected reading: k=2 and k=3 are stable, k=4 splits one
    pair or the other (about half the runs each), k=5 is stable again.

    Parameters
    ----------
    n_per_blob : int
        Objects per tight blob (at least 2).
    random_state : int
        Seed.

    Returns
    -------
    X : (5.5 * n_per_blob, 2). y : true class ids 0..4 (0 = the long blob).
    """
    n = check_int(n_per_blob, "n_per_blob", minimum=2)
    rng = np.random.default_rng(random_state)
    parts = [rng.normal([-8.0, 0.0], [0.8, 0.3], size=(n + n // 2, 2))]
    for cx, cy in [(4.5, 4.0), (7.5, 4.0), (4.5, -4.0), (7.5, -4.0)]:
        parts.append(rng.normal([cx, cy], 0.3, size=(n, 2)))
    y = np.repeat(np.arange(5), [n + n // 2, n, n, n, n])
    return np.vstack(parts), y


def lecture_points(n_samples: int = 100, *, low: int = 1, high: int = 10,
                   random_state: int = 0) -> np.ndarray:
    """The seed's data: ``n_samples`` points whose two coordinates are *different* integers in
    ``[low, high)`` (``random.sample(range(low, high), 2)``), so many points repeat.

    Parameters
    ----------
    n_samples : int
        Number of points (at least 1).
    low : int
        Smallest coordinate.
    high : int
        One more than the largest coordinate (at least two integers in ``[low, high)``).
    random_state : int
        Seed.

    Returns
    -------
    ndarray of shape (n_samples, 2)
    """
    for name, v in (("n_samples", n_samples), ("low", low), ("high", high)):
        check_int(v, name)
    if n_samples < 1 or high - low < 2:
        raise ValueError(f"need n_samples >= 1 and at least two integers in [low, high); got "
                         f"n_samples={n_samples}, low={low}, high={high}.")
    rng = np.random.default_rng(random_state)
    pts = [rng.choice(np.arange(low, high), size=2, replace=False) for _ in range(n_samples)]
    return np.asarray(pts, dtype=np.float64)
