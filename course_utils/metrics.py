"""How good is a clustering? External and internal measures in one ``report``.

Everything is computed by scikit-learn and SciPy; the course only collects the
numbers the lectures quote (R's ``kmeans`` printout: within / between / total
sums of squares and between ÷ total).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

from .validation import check_data, check_labels

__all__ = ["sums_of_squares", "inertia", "matched_accuracy", "report"]


def sums_of_squares(X, labels) -> dict[str, float | np.ndarray]:
    """Within-, between- and total sums of squares of a partition (R's ``kmeans`` summary).

    ``total = within + between``: minimising the within-cluster sum of squares (WCSS) is the
    same as maximising the between-cluster sum of squares.

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    labels : array-like of shape (N,)
        The cluster of each point.

    Returns
    -------
    dict with ``withinss`` (per cluster, in sorted label order), ``tot_withinss``, ``betweenss``,
    ``totss`` and ``between_over_total``.
    """
    X = check_data(X)
    labels = check_labels(labels, X.shape[0])
    grand = X.mean(axis=0)
    totss = float(((X - grand) ** 2).sum())
    ids = np.unique(labels)
    withinss = np.array([((X[labels == k] - X[labels == k].mean(axis=0)) ** 2).sum() for k in ids])
    tot_within = float(withinss.sum())
    between = totss - tot_within
    return {"withinss": withinss, "tot_withinss": tot_within, "betweenss": between, "totss": totss,
            "between_over_total": between / totss if totss > 0 else float("nan")}


def inertia(X, centers) -> float:
    """k-means inertia: the sum over points of the squared distance to the nearest centre.

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    centers : array-like of shape (K, D)
        The centres.

    Returns
    -------
    float
    """
    from scipy.spatial.distance import cdist

    X = check_data(X)
    C = check_data(centers, name="centers", n_features=X.shape[1])
    return float(cdist(X, C, "sqeuclidean").min(axis=1).sum())


def matched_accuracy(true, labels) -> float:
    """Accuracy after renaming the clusters to best match the true classes (Hungarian method).

    Cluster ids are arbitrary, so plain accuracy would punish a correct clustering whose
    clusters are numbered differently. SciPy's ``linear_sum_assignment`` finds the renaming.

    Parameters
    ----------
    true : array-like of shape (N,)
        The true classes.
    labels : array-like of shape (N,)
        The clusters found.

    Returns
    -------
    float
        The fraction of points whose (renamed) cluster is their class.
    """
    true = check_labels(true, name="true")
    labels = check_labels(labels, len(true))
    cm = skm.confusion_matrix(true, labels)
    rows, cols = linear_sum_assignment(-cm)
    return float(cm[rows, cols].sum() / len(true))


def report(X, labels, true=None) -> dict[str, float]:
    """Measures of a clustering: internal ones always, external ones when ``true`` is given.

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    labels : array-like of shape (N,)
        The cluster of each point.
    true : array-like of shape (N,), optional
        The true classes; adds the external measures.

    Returns
    -------
    dict with ``n_clusters``, ``silhouette`` (nan for a single cluster), ``wcss``,
    ``between_ss``, ``total_ss``, ``between_over_total``; and with ``true``: ``ari``,
    ``rand`` and ``accuracy`` (after Hungarian matching).
    """
    X = check_data(X)
    labels = check_labels(labels, X.shape[0])
    ss = sums_of_squares(X, labels)
    k = len(np.unique(labels))
    out = {
        "n_clusters": k,
        "silhouette": float(skm.silhouette_score(X, labels)) if 1 < k < X.shape[0] else float("nan"),
        "wcss": ss["tot_withinss"],
        "between_ss": ss["betweenss"],
        "total_ss": ss["totss"],
        "between_over_total": ss["between_over_total"],
    }
    if true is not None:
        true = check_labels(true, X.shape[0], name="true")
        out["ari"] = float(skm.adjusted_rand_score(true, labels))
        out["rand"] = float(skm.rand_score(true, labels))
        out["accuracy"] = matched_accuracy(true, labels)
    return out
