"""Fair baselines for lecture 05: what does the *network* add to a graph target function?

``cluster(X, k, "ncut")`` does two things: a network trained on the soft normalised cut cuts the
data into ``4k`` segments, and :func:`course_utils.segments.merge_segments` merges them into ``k``
clusters by the same target on the same graph. To see what each step contributes, replace one of
them by something plain and keep the rest:

* :func:`kmeans_merge` — k-means (no network) cuts the data into ``4k`` segments, the *same*
  merge on the *same* graph groups them;
* :func:`course_graph` — the graph ``cluster`` builds, so that scikit-learn's
  ``SpectralClustering(affinity="precomputed")`` can be given exactly the same graph
  (compare methods, not graphs);
* :func:`mixed_fraction` — the share of points lying in segments that hold points of two true
  classes; :func:`unmergeable_fraction` — the least share of points that *any* grouping of the
  segments must put in the wrong cluster (no merge can undo a mixed segment);
* :func:`match_labels` — renumber a labelling to agree best with a reference, so that one class
  has one colour in every panel of a figure.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse as sp

from ..validation import check_data, check_int, check_labels, check_n_clusters

__all__ = ["auto_neighbors", "course_graph", "kmeans_merge", "mixed_fraction", "unmergeable_fraction",
           "match_labels"]


def auto_neighbors(n_samples: int) -> int:
    """The number of neighbours ``cluster(..., n_neighbors="auto")`` uses for ``n_samples`` points:
    15 at N = 500, growing like √N, at least 10 and at most N − 1.

    Parameters
    ----------
    n_samples : int
        The number of points (at least 3).

    Returns
    -------
    int
        The number of neighbours.
    """
    check_int(n_samples, "n_samples", minimum=3)
    return int(min(n_samples - 1, max(10, round(15 * np.sqrt(n_samples / 500)))))


def course_graph(X, n_neighbors: int | str = "auto", *, standardize: bool = True) -> sp.csr_matrix:
    """The kNN graph the graph objectives of :func:`course_utils.clustering.cluster` train on.

    Shared-neighbour weights (:func:`course_utils.graph_losses.knn_graph` with ``weights="snn"``)
    on the standardised data, ``n_neighbors="auto"`` as in :func:`auto_neighbors`. Pass it to
    ``sklearn.cluster.SpectralClustering(k, affinity="precomputed")`` to compare methods on one graph.

    Parameters
    ----------
    X : array (N, D)
        The data.
    n_neighbors : int or "auto"
        The number of neighbours of each point.
    standardize : bool
        Standardise the columns first (as ``cluster`` does by default).

    Returns
    -------
    scipy.sparse.csr_matrix (N, N)
        Symmetric, non-negative, zero diagonal.
    """
    from .. import data
    from .graph_losses import knn_graph

    X = check_data(X, min_samples=3)
    if n_neighbors == "auto":
        n_neighbors = auto_neighbors(X.shape[0])
    elif isinstance(n_neighbors, str):
        raise ValueError(f"n_neighbors must be an integer or 'auto', got {n_neighbors!r}.")
    Xs = data.standardize(X) if standardize else X
    return knn_graph(Xs, n_neighbors, weights="snn")


def kmeans_merge(X, n_clusters: int, *, oversegment: int = 4, seed: int = 0, W=None,
                 balance: float = 1.0) -> tuple[np.ndarray, float, np.ndarray]:
    """k-means into ``oversegment · K`` segments, then the ncut merge on the graph — no network.

    The same pipeline as ``cluster(X, K, "ncut")`` with the network replaced by k-means: the
    segments come from ``KMeans(oversegment·K, n_init=10, random_state=seed)`` on the standardised
    data, and :func:`course_utils.segments.merge_segments` groups them by the normalised cut
    (with the balance term) on :func:`course_graph` (or on ``W`` if given).

    Parameters
    ----------
    X : array (N, D)
        The data.
    n_clusters : int
        K, the number of clusters (at least 2).
    oversegment : int
        Segments per cluster (at least 2).
    seed : int
        ``random_state`` of the k-means.
    W : scipy.sparse matrix (N, N), optional
        The graph to merge on; :func:`course_graph` of ``X`` if None.
    balance : float
        The balance term of the ncut score.

    Returns
    -------
    labels : int array (N,) in [0, K)
        The clusters.
    score : float
        The merged partition's ncut score.
    segments : int array (N,)
        The k-means segments.
    """
    from functools import partial

    from sklearn.cluster import KMeans

    from .. import data
    from . import segments

    X = check_data(X, min_samples=3)
    k = check_n_clusters(n_clusters, X, minimum=2)
    check_int(oversegment, "oversegment", minimum=2, hint=" (segments per cluster)")
    if k * oversegment > X.shape[0]:
        raise ValueError(f"{k * oversegment} segments need at least as many points; X has {X.shape[0]}.")
    if W is None:
        W = course_graph(X)
    elif W.shape != (X.shape[0], X.shape[0]):
        raise ValueError(f"W must be the ({X.shape[0]}, {X.shape[0]}) graph of X, got shape {W.shape}.")
    seg = KMeans(k * int(oversegment), n_init=10, random_state=seed).fit_predict(data.standardize(X))
    labels, score = segments.merge_segments(W, seg, k, partial(segments.ncut_score, balance=balance))
    return labels, score, seg


def mixed_fraction(y, segments, W=None) -> float:
    """Share of the points that lie in a segment holding points of more than one true class.

    With ``W`` each segment is first split into its connected pieces in the graph
    (:func:`course_utils.segments.split_components`), as the merge does. A merge of segments can
    only be as good as its purest grouping: a mixed piece is wrong whatever cluster it joins.

    Parameters
    ----------
    y : int array (N,)
        The true classes.
    segments : int array (N,)
        The segment of each point.
    W : scipy.sparse matrix (N, N), optional
        The graph; if given, segments are split into their connected pieces first.

    Returns
    -------
    float
        The share of points in mixed segments, in [0, 1].
    """
    y = check_labels(y)
    seg = check_labels(segments, n_samples=y.shape[0])
    if W is not None:
        from .segments import split_components

        seg = split_components(W, seg)
    mixed = 0
    for s in np.unique(seg):
        members = y[seg == s]
        if np.unique(members).size > 1:
            mixed += members.size
    return mixed / y.shape[0]


def unmergeable_fraction(y, segments, W=None) -> float:
    """The least share of points that any grouping of the segments into clusters misplaces.

    Every segment (with ``W``: every connected piece of a segment, as the merge uses) goes to one
    cluster as a whole, so at best its majority class is right and the rest wrong: the result is
    ``Σ_pieces (size − largest class count) / N``, a lower bound on the error of any merge.

    Parameters
    ----------
    y : int array (N,)
        The true classes.
    segments : int array (N,)
        The segment of each point.
    W : scipy.sparse matrix (N, N), optional
        The graph; if given, segments are split into their connected pieces first.

    Returns
    -------
    float
        The lower bound on the error of any merge, in [0, 1].
    """
    y = check_labels(y)
    seg = check_labels(segments, n_samples=y.shape[0])
    if W is not None:
        from .segments import split_components

        seg = split_components(W, seg)
    wrong = 0
    for s in np.unique(seg):
        wrong += int((seg == s).sum() - np.bincount(np.unique(y, return_inverse=True)[1][seg == s]).max())
    return wrong / y.shape[0]


def match_labels(reference, labels) -> np.ndarray:
    """Renumber ``labels`` so that they agree best with ``reference`` (Hungarian matching).

    Only the names of the clusters change, never which points go together: use it before
    plotting so that a class keeps its colour across panels. Clusters with no partner in the
    reference get the next free numbers.

    Parameters
    ----------
    reference : int array (N,)
        The labelling to agree with.
    labels : int array (N,)
        The labelling to renumber.

    Returns
    -------
    int array (N,)
        ``labels`` renumbered.
    """
    from scipy.optimize import linear_sum_assignment

    ref = check_labels(reference)
    lab = check_labels(labels, n_samples=ref.shape[0])
    r_ids, l_ids = np.unique(ref), np.unique(lab)
    overlap = np.array([[np.sum((lab == a) & (ref == b)) for b in r_ids] for a in l_ids])
    rows, cols = linear_sum_assignment(-overlap)
    new = {l_ids[i]: int(r_ids[j]) for i, j in zip(rows, cols)}
    free = iter(sorted(set(range(len(l_ids) + len(r_ids))) - set(new.values())))
    for a in l_ids:
        if a not in new:
            new[a] = next(free)
    return np.array([new[a] for a in lab], dtype=np.int64)
