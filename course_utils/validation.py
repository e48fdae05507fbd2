"""Input checks shared by every public function of :mod:`course_utils`.

Each check raises a :class:`ValueError` that says what was wrong *and* what to do
about it, so a student who passes a list of lists with a NaN, or asks for more
clusters than there are points, learns why straight away instead of meeting a NaN
loss 300 epochs later.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse as sp

__all__ = ["check_data", "check_n_clusters", "check_labels", "check_positive", "check_proba", "check_int",
           "check_n_neighbors", "check_random_state", "check_fitted", "DataTypeError"]


class DataTypeError(TypeError, ValueError):
    """Data that are not numbers (a dict in an object array...).

    Both a :class:`TypeError`, as NumPy and scikit-learn raise for such data, and a
    :class:`ValueError`, as every other check of this module raises.
    """


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
    if sp.issparse(X):
        raise ValueError(f"{name} is a scipy sparse matrix, and sparse input is not supported here; "
                         f"pass a dense array ({name}.toarray()).")
    try:
        kind = np.asarray(X).dtype.kind
    except (TypeError, ValueError):     # ragged or odd input: the conversion below says why
        kind = None
    if kind == "c":
        raise ValueError(f"Complex data not supported: {name} holds complex numbers; pass real "
                         f"features (e.g. np.column_stack([{name}.real, {name}.imag])).")
    try:
        arr = np.asarray(X, dtype=np.float64)
    except TypeError as exc:
        raise DataTypeError(f"{name} must be numeric (a NumPy array of numbers); converting it to float "
                            f"failed: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"{name} must be numeric (a NumPy array of numbers); "
                         f"converting it to float failed: {exc}") from None
    if arr.ndim != ndim:
        hint = (" Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) for a "
                "single point." if (ndim == 2 and arr.ndim == 1) else "")
        raise ValueError(f"{name} must be a {ndim}-D array, got {arr.ndim}-D with shape {arr.shape}.{hint}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} has {arr.shape[0]} rows (n_samples={arr.shape[0]}); at least {min_samples} "
                         f"are needed.")
    if ndim >= 2 and arr.shape[1] == 0:
        raise ValueError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required; "
                         f"give at least one feature.")
    if n_features is not None and ndim >= 2 and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but it is expecting {n_features} features "
                         f"as input (does the model's input size match the data?).")
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); remove or impute them "
                         f"(e.g. X[~np.isnan(X).any(axis=1)]) before clustering.")
    return arr


def check_n_clusters(n_clusters: Any, X: np.ndarray | None = None, *, minimum: int = 1,
                     name: str = "n_clusters") -> int:
    """Return ``n_clusters`` as an int in ``[minimum, number of distinct rows of X]``.

    Parameters
    ----------
    n_clusters : Any
        The number of clusters asked for.
    X : ndarray, optional
        The data; ``n_clusters`` may not exceed its number of distinct rows.
    minimum : int
        The fewest clusters that make sense for the caller.
    name : str
        How the argument is called in the error message.

    Returns
    -------
    int
    """
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
    """Return ``labels`` as a 1-D integer array (of length ``n_samples`` if given).

    Parameters
    ----------
    labels : Any
        One cluster id per point (integers, or floats that are whole numbers).
    n_samples : int, optional
        The number of points the labels must cover.
    name : str
        How the argument is called in the error message.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
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
    """Return ``value`` as a float that is > 0 (or >= 0 when ``strict`` is False).

    Parameters
    ----------
    value : Any
        The number to check.
    name : str
        How the argument is called in the error message.
    strict : bool
        Refuse 0 as well.

    Returns
    -------
    float
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        raise ValueError(f"{name} must be {'>' if strict else '>='} 0 and finite, got {value!r}.")
    return v


def check_proba(P: Any, *, name: str = "P", n_samples: int | None = None) -> np.ndarray:
    """Return soft memberships ``P`` (N, K) with rows on the simplex, or raise ``ValueError``.

    Parameters
    ----------
    P : Any
        The memberships, one row per point.
    name : str
        How the argument is called in the error message.
    n_samples : int, optional
        The number of rows ``P`` must have.

    Returns
    -------
    ndarray of shape (N, K)
    """
    arr = check_data(P, name=name)
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} rows but the data has {n_samples}.")
    if np.any(arr < -1e-6) or not np.allclose(arr.sum(axis=1), 1.0, atol=1e-4):
        raise ValueError(f"{name} must hold membership probabilities: non-negative rows that sum "
                         f"to 1 (apply a softmax first).")
    return arr


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None,
              hint: str = "") -> int:
    """Return ``value`` as an int in ``[minimum, maximum]`` (either bound may be None).

    Parameters
    ----------
    value : Any
        The number to check; ``bool`` is refused (``True`` is not a count).
    name : str
        How the argument is called in the error message.
    minimum : int, optional
        The smallest allowed value.
    maximum : int, optional
        The largest allowed value.
    hint : str
        Added to the error message (what the number means, what to pass).

    Returns
    -------
    int
        The value as a Python int.
    """
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and maximum is not None and value > maximum:
        ok = False
    if not ok:
        if minimum is not None and maximum is not None:
            what = f"an integer in [{minimum}, {maximum}]"
        elif minimum is not None:
            what = f"an integer >= {minimum}"
        elif maximum is not None:
            what = f"an integer <= {maximum}"
        else:
            what = "an integer"
        raise ValueError(f"{name} must be {what}{hint}, got {value!r}.")
    return int(value)


def check_n_neighbors(n_neighbors: Any, n_samples: int) -> int:
    """Return the number of neighbours of a kNN graph on ``n_samples`` points, in ``[1, N-1]``.

    Parameters
    ----------
    n_neighbors : Any
        The number of neighbours of each point.
    n_samples : int
        The number of points N (a point is not its own neighbour).

    Returns
    -------
    int
        ``n_neighbors`` as a Python int.
    """
    n = int(n_samples)
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, (int, np.integer)) \
            or not 1 <= n_neighbors <= n - 1:
        raise ValueError(f"n_neighbors must be an integer in [1, N-1 = {n - 1}], got {n_neighbors!r}.")
    return int(n_neighbors)


def check_random_state(random_state: Any, *, generator: bool = False):
    """Turn ``random_state`` into a random number generator, with scikit-learn's rules.

    ``None``, an integer seed or a :class:`numpy.random.RandomState` are checked by
    :func:`sklearn.utils.check_random_state`. With ``generator=True`` (code written for NumPy's
    new API) the result is a :class:`numpy.random.Generator`: an integer seed ``s`` gives
    ``np.random.default_rng(s)``, a ``Generator`` is returned as it is, and a ``RandomState`` (or
    ``None``) seeds a fresh ``Generator`` from its stream.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        The seed or generator.
    generator : bool
        Return a ``numpy.random.Generator`` instead of a ``RandomState``.

    Returns
    -------
    numpy.random.RandomState or numpy.random.Generator
    """
    from sklearn.utils import check_random_state as sk_check

    if generator and isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, bool) or (isinstance(random_state, (int, np.integer)) and random_state < 0):
        raise ValueError(f"random_state must be None, a non-negative int, a numpy RandomState"
                         f"{' or Generator' if generator else ''}, got {random_state!r}.")
    try:
        rs = sk_check(random_state)
    except ValueError:
        raise ValueError(f"random_state must be None, a non-negative int, a numpy RandomState"
                         f"{' or Generator' if generator else ''}, got {random_state!r}.") from None
    if not generator:
        return rs
    if isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(int(random_state))
    return np.random.default_rng(rs.randint(np.iinfo(np.int32).max))


def check_fitted(estimator: Any, attributes: str | list[str] = "cluster_centers_") -> None:
    """Raise scikit-learn's ``NotFittedError`` (a ``ValueError``) unless ``estimator`` was fitted.

    Parameters
    ----------
    estimator : estimator
        The estimator whose fitted attributes to look for.
    attributes : str or list of str
        The attributes ``fit`` sets.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator, attributes, msg=("This %(name)s is not fitted yet: call fit(X) first, "
                                                "then predict or transform."))
