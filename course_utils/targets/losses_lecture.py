"""FOR COMPARISON ONLY — faithful copies of the lectures' original target functions.

These reproduce the seed programs of lectures 000 and 001 (globals turned into closures, nothing
else changed), so that notebooks 02–03 and ``benchmarks/`` can show what the lecture computed and
measure what it costs. **Do not train with them**: they broadcast to (N, N, D) or (N, N, K)
tensors (memory N²·K), and the lecture trained them eagerly (``run_eagerly`` on). Use
:mod:`course_utils.targets.losses` — the same numbers as matrix products.
"""
from __future__ import annotations

import numpy as np
from keras import ops as ko

from ..validation import check_data, check_n_clusters

__all__ = ["lecture_distance_matrix", "lecture_centroid_loss", "lecture_proximity_loss",
           "lecture_normalized_proximity_loss", "lecture_softmax"]


def lecture_distance_matrix(data):
    """Lecture 000: squared distances by broadcasting the data to (N, N, D).

    Parameters
    ----------
    data : array-like of shape (N, D)
        The data.

    Returns
    -------
    tensor of shape (N, N)
    """
    data = check_data(data)
    n, dim = data.shape
    m1 = ko.broadcast_to(data, (n, n, dim))
    m2 = ko.moveaxis(m1, 0, 1)
    return ko.sum(ko.square(m1 - m2), axis=-1)


def lecture_centroid_loss(data, n_clusters: int):
    """Lecture 000 (centroid network): ``DataN`` is the data repeated K times, (N, K, D).

    Parameters
    ----------
    data : array-like of shape (N, D)
        The data.
    n_clusters : int
        K, the number of centres the network emits.

    Returns
    -------
    callable
        A Keras loss ``loss(y_true, y_pred)``.
    """
    data = check_data(data)
    clust_n = check_n_clusters(n_clusters, data)
    DataN = np.repeat(np.expand_dims(data, axis=1), clust_n, axis=1)

    def my_err_func(y_true, y_pred):
        yy = ko.array(ko.split(ko.mean(y_pred, axis=0), clust_n))
        z1 = ko.square(ko.subtract(DataN, yy))
        z2 = ko.sum(z1, axis=2)
        zz = ko.amin(z2, axis=1)
        return zz

    return my_err_func


def lecture_proximity_loss(MN, n_clusters: int):
    """Lecture 000 (proximity): ``-average(MN, axis=1, weights=P3)`` with P3 (N, N) from (N, N, K).

    Parameters
    ----------
    MN : array-like of shape (N, N)
        The nearness matrix.
    n_clusters : int
        K, the number of memberships per point.

    Returns
    -------
    callable
        A Keras loss ``loss(y_true, y_pred)``.
    """
    MN = np.asarray(MN, dtype=np.float64)
    point_n, clust_n = MN.shape[0], int(n_clusters)

    def my_err_func(y_true, y_pred):
        p1 = ko.broadcast_to(y_pred, (point_n, point_n, clust_n))
        p2 = ko.moveaxis(p1, 0, 1)
        p3 = ko.sum(ko.multiply(p1, p2), axis=-1)
        pp = ko.add(ko.multiply(ko.subtract(1, ko.eye(point_n)), p3), ko.eye(point_n))  # noqa: F841 (unused in the lecture too)
        zz = ko.subtract(0.0, ko.average(MN, axis=1, weights=p3))
        return zz

    return my_err_func


def lecture_normalized_proximity_loss(MN, n_clusters: int):
    """Lecture 001: ``-Σ_k Σ_nm p_nk p_mk MN_nm / Σ_n p_nk`` through (N, N, K) broadcasts.

    Parameters
    ----------
    MN : array-like of shape (N, N)
        The nearness matrix.
    n_clusters : int
        K, the number of memberships per point.

    Returns
    -------
    callable
        A Keras loss ``loss(y_true, y_pred)``.
    """
    MN = np.asarray(MN, dtype=np.float64)
    point_n, clust_n = MN.shape[0], int(n_clusters)

    def my_err_func(y_true, y_pred):
        p1 = ko.broadcast_to(y_pred, (point_n, point_n, clust_n))
        p2 = ko.moveaxis(p1, 0, 1)
        mp = ko.multiply(p1, p2)
        m1 = ko.broadcast_to(MN, (clust_n, point_n, point_n))
        m1 = ko.moveaxis(m1, 0, 2)
        f1 = ko.multiply(mp, m1)
        fc = ko.sum(ko.sum(f1, axis=0), axis=0)
        nc = ko.sum(y_pred, axis=0)
        zz = ko.sum(ko.divide(fc, nc))
        return -zz

    return my_err_func


def lecture_softmax(A: float = 3.0):
    """Lecture 001's ``my_softmax``: ``exp(A (x − max)) / Σ``, with the max over the *whole batch*.

    Parameters
    ----------
    A : float
        Sharpness: the larger, the closer to a hard argmax.

    Returns
    -------
    callable
        The activation ``f(x)``.
    """

    def my_softmax(x):
        m = ko.max(x)
        y = ko.exp(ko.multiply(A, ko.subtract(x, m)))
        s = ko.sum(y, axis=1)
        s2 = ko.broadcast_to(ko.reshape(s, (s.shape[0], 1)), (s.shape[0], x.shape[1]))
        return ko.divide(y, s2)

    return my_softmax
