"""Over-segment, then merge: how a graph target function escapes its poor local minima (lecture 05).

Trained directly for K clusters, the soft normalised cut (and IIC) stops in a poor local minimum
on two moons: a straight cut through both moons, which gradient steps cannot undo because the two
boundaries would have to slide to the moons' tips together. Two observations fix that:

1. **Small segments are easy.** Trained for ``K' = oversegment · K`` clusters, the same loss only
   has to find compact pieces of each moon: local work, which gradient descent does well.
2. **Merging is a small, exact problem.** With hard segments, every graph loss here depends only
   on the segment graph ``B = Hᵀ W H`` (edge weight between and within segments, ``H`` the
   one-hot segment matrix) and the segment sizes. Grouping the segments into K clusters is
   scored by the *same* target function on that small matrix.

:func:`merge_segments` therefore

* splits every segment into its connected components in ``W`` (a segment that holds two pieces
  with no edge between them — a wedge across both rings of ``circles`` — is two pieces),
* merges greedily (the pair whose union scores best) down to a few groups,
* tries every grouping of those few groups into K clusters (at most 4096),
* moves single pieces between clusters while the score improves,

and returns the labels with the lowest score. Nothing here looks at true labels.
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np
from scipy import sparse as sp
from scipy.sparse.csgraph import connected_components

from ..validation import check_labels, check_n_clusters

__all__ = ["split_components", "segment_graph", "merge_segments", "ncut_score", "iic_score"]

_EXHAUSTIVE = 4096            # groupings tried exhaustively at the end of the greedy phase


def ncut_score(B: np.ndarray, sizes: np.ndarray, balance: float = 1.0) -> float:
    """:func:`course_utils.targets.graph_losses.ncut_loss` of a hard partition from its cluster graph.

    ``B[a, b]`` is the edge weight between clusters a and b (``B[a, a]``: within a), ``sizes``
    the number of points per cluster; ``Σ_a (vol_a − B_aa) / vol_a + balance · KL(π ‖ uniform)``.

    Parameters
    ----------
    B : ndarray of shape (m, m)
        Edge weights between the clusters (``B[a, a]``: within cluster a).
    sizes : ndarray of shape (m,)
        Points per cluster.
    balance : float
        Weight of the balance term.

    Returns
    -------
    float
    """
    vol = B.sum(axis=1)
    ncut = float(np.sum((vol - np.diag(B)) / np.maximum(vol, 1e-12)))
    pi = sizes / sizes.sum()
    return ncut + balance * float(np.log(len(sizes)) + np.sum(pi * np.log(np.maximum(pi, 1e-12))))


def iic_score(B: np.ndarray, sizes: np.ndarray, entropy_weight: float = 1.0) -> float:
    """:func:`course_utils.targets.graph_losses.iic_loss` of a hard partition: minus the mutual
    information of the clusters at the two ends of a random edge (``sizes`` is not used).

    Parameters
    ----------
    B : ndarray of shape (m, m)
        Edge weights between the clusters (``B[a, a]``: within cluster a).
    sizes : ndarray of shape (m,)
        Points per cluster (not used; for a common signature with :func:`ncut_score`).
    entropy_weight : float
        Weight of the marginals' term (1: the mutual information).

    Returns
    -------
    float
    """
    J = np.maximum(B / B.sum(), 1e-12)
    pi = J.sum(axis=1)
    return -float(np.sum(J * (np.log(J) - entropy_weight * (np.log(pi)[:, None] + np.log(pi)[None, :]))))


def split_components(W, labels) -> np.ndarray:
    """Relabel so that every segment is connected in the graph ``W``: each connected component
    of a segment's induced subgraph becomes a segment of its own (labels ``0..m-1``).

    Parameters
    ----------
    W : scipy.sparse matrix of shape (N, N)
        The graph.
    labels : array-like of shape (N,)
        The segment of each point.

    Returns
    -------
    ndarray of shape (N,)
    """
    W = sp.csr_matrix(W)
    labels = check_labels(labels, n_samples=W.shape[0])
    out = np.empty(labels.shape[0], dtype=np.int64)
    m = 0
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_comp, comp = connected_components(W[idx][:, idx], directed=False)
        out[idx] = m + comp
        m += n_comp
    return out


def segment_graph(W, segments) -> tuple[np.ndarray, np.ndarray]:
    """``B = Hᵀ W H`` (m × m) and the segment sizes, for segments labelled ``0..m-1``.

    Parameters
    ----------
    W : scipy.sparse matrix of shape (N, N)
        The graph.
    segments : array-like of shape (N,)
        The segment of each point, in ``0..m-1``.

    Returns
    -------
    B : ndarray of shape (m, m)
    sizes : ndarray of shape (m,)
    """
    segments = np.asarray(segments)
    n, m = segments.shape[0], int(segments.max()) + 1
    H = sp.csr_matrix((np.ones(n), (np.arange(n), segments)), shape=(n, m))
    return np.asarray((H.T @ sp.csr_matrix(W) @ H).todense()), np.bincount(segments, minlength=m).astype(float)


def _grouped(B: np.ndarray, sizes: np.ndarray, groups: list[list[int]]):
    M = np.zeros((B.shape[0], len(groups)))
    for g, members in enumerate(groups):
        M[members, g] = 1.0
    return M.T @ B @ M, sizes @ M


def merge_segments(W, segments, n_clusters: int,
                   score: Callable[[np.ndarray, np.ndarray], float] = ncut_score) -> tuple[np.ndarray, float]:
    """Group the segments of a partition into ``n_clusters`` clusters by the lowest ``score``.

    Parameters
    ----------
    W : array or scipy.sparse matrix (N, N) — the graph the target function uses
    segments : int array (N,) — a partition into more than ``n_clusters`` segments (e.g. the
        argmax of an over-segmenting network)
    n_clusters : int >= 2
    score : ``score(B, sizes) -> float`` of a hard partition from its cluster graph (lower is
        better): :func:`ncut_score` or :func:`iic_score`, or a ``functools.partial`` of them.

    Returns
    -------
    labels : int array (N,) in ``[0, n_clusters)``, and the score of that partition.
    """
    W = sp.csr_matrix(W)
    pieces = split_components(W, segments)
    B, sizes = segment_graph(W, pieces)
    m = B.shape[0]
    k = check_n_clusters(n_clusters, minimum=2)
    if m < k:
        raise ValueError(f"only {m} connected segment(s) for n_clusters={k}; over-segment more "
                         f"(a larger oversegment) or use fewer clusters.")
    value = lambda groups: score(*_grouped(B, sizes, groups))  # noqa: E731
    groups = [[i] for i in range(m)]
    few = max(k, int(np.log(_EXHAUSTIVE) / np.log(k)) + 1)    # k^(few-1) groupings at most
    while len(groups) > few:                                  # greedy: the best pair to merge
        pairs = itertools.combinations(range(len(groups)), 2)
        i, j = min(pairs, key=lambda ij: value([g for t, g in enumerate(groups) if t not in ij]
                                               + [groups[ij[0]] + groups[ij[1]]]))
        groups = [g for t, g in enumerate(groups) if t not in (i, j)] + [groups[i] + groups[j]]
    if len(groups) > k:                                       # exhaustive over the few groups
        best = None
        for rest in itertools.product(range(k), repeat=len(groups) - 1):
            assign = (0, *rest)
            if len(set(assign)) < k:
                continue
            cand = [sum((groups[t] for t in range(len(groups)) if assign[t] == c), []) for c in range(k)]
            v = value(cand)
            if best is None or v < best[0]:
                best = (v, cand)
        groups = best[1]
    current = value(groups)
    improved = True
    while improved:                                           # move single pieces while it helps
        improved = False
        for piece in range(m):
            src = next(c for c, g in enumerate(groups) if piece in g)
            if len(groups[src]) == 1:
                continue
            for dst in range(k):
                if dst == src:
                    continue
                cand = [list(g) for g in groups]
                cand[src].remove(piece)
                cand[dst].append(piece)
                v = value(cand)
                if v < current - 1e-12:
                    current, groups, improved = v, cand, True
                    break
    cluster_of = np.empty(m, dtype=np.int64)
    for c, g in enumerate(groups):
        cluster_of[g] = c
    return cluster_of[pieces], float(current)
