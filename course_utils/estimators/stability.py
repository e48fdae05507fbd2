"""How many classes are there? Count the classes that reproduce (lecture 06).

For k = 2, 3, ... run many classifications (100 in the lecture) from random initial
kernels, match the classes of different runs (two classes are the same when they hold
(almost) the same objects), and count how often each class reappears. A class that
reappears in a large share of the runs is a *frequently reproduced* class. The lecture's
criterion: at the real number of classes k the number of frequent classes ``F(k)`` is
markedly smaller than at ``k - 1`` and ``k + 1``. Levels where the frequent classes form one
partition (``F(k) = k``) are *stable*; a class of a coarser stable level that is the union of
classes of a finer one is the hierarchical reading of the splits.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..data import make_hierarchical  # noqa: F401 (re-exported: lecture 06 imports it here)
from ..validation import check_data, check_int, check_n_clusters, check_random_state
from .kohonen import DynamicKernels

__all__ = ["match_classes", "reproducible_classes", "ReproducibilityResult", "make_hierarchical"]


def match_classes(members: np.ndarray, threshold: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Group equal classes: ``members`` (M, N) boolean rows, one per class found in some run.

    Two classes are the same when their Jaccard index |A ∩ B| / |A ∪ B| is at least
    ``threshold`` (1.0 = exactly the same objects). Classes are visited in order; each joins the
    first earlier group whose representative it matches, else starts a new group.

    Parameters
    ----------
    members : ndarray of shape (M, N), bool
        One row per class found in some run: which objects it holds.
    threshold : float
        The Jaccard index from which two classes are the same.

    Returns
    -------
    group : (M,) int — group id of each class. reps : (G, N) bool — each group's first class.
    """
    members = np.asarray(members, dtype=bool)
    if members.ndim != 2:
        raise ValueError(f"members must be a 2-D boolean array (classes x objects), got shape {members.shape}.")
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold is a Jaccard index and must be in (0, 1], got {threshold!r}.")
    sizes = members.sum(1)
    group = np.full(members.shape[0], -1)
    reps: list[int] = []
    M = members.astype(np.float64)
    for i in range(members.shape[0]):
        if reps:
            R = M[reps]
            inter = R @ M[i]
            jac = inter / np.maximum(sizes[reps] + sizes[i] - inter, 1)
            best = int(np.argmax(jac))
            if jac[best] >= threshold:
                group[i] = best
                continue
        group[i] = len(reps)
        reps.append(i)
    return group, members[reps]


@dataclass
class ReproducibilityResult:
    """What :func:`reproducible_classes` found.

    Attributes
    ----------
    k_values : list of the numbers of classes tried.
    n_runs : classifications per k. min_frequency : share of runs that makes a class frequent.
    classes : dict k -> list of (frequency, boolean membership (N,)) sorted by frequency, all classes.
    n_distinct : dict k -> number of distinct classes seen over the runs.
    n_frequent : dict k -> ``F(k)``, the number of frequent classes.
    partition_frequency : dict k -> share of runs giving the most common partition.
    suggested : int — the suggested number of classes. stable_levels : ks with ``F(k) = k``.
    """

    k_values: list
    n_runs: int
    min_frequency: float
    classes: dict = field(repr=False)
    n_distinct: dict
    n_frequent: dict
    partition_frequency: dict
    suggested: int
    stable_levels: list

    def frequent(self, k: int) -> list[tuple[float, np.ndarray]]:
        """The frequent classes at ``k``: (frequency, membership) pairs, most frequent first."""
        if k not in self.classes:
            raise ValueError(f"k={k} was not tried; tried {self.k_values}.")
        return [(f, m) for f, m in self.classes[k] if f >= self.min_frequency]

    def table(self):
        """A pandas DataFrame: one row per k with F(k), distinct classes and frequencies (%)."""
        import pandas as pd

        rows = []
        for k in self.k_values:
            freqs = [int(round(100 * f)) for f, _ in self.frequent(k)]
            rows.append({"k": k, "frequent classes": self.n_frequent[k], "distinct classes": self.n_distinct[k],
                         "top partition %": int(round(100 * self.partition_frequency[k])),
                         "frequencies of frequent classes %": " ".join(map(str, freqs))})
        return pd.DataFrame(rows).set_index("k")

    def hierarchy(self) -> list[str]:
        """How each class of a stable level is split at the next stable level (by containment)."""
        lines = []
        for k1, k2 in zip(self.stable_levels, self.stable_levels[1:]):
            coarse = [m for _, m in self.frequent(k1)]
            fine = [m for _, m in self.frequent(k2)]
            for i, c in enumerate(coarse):
                parts = [j for j, f in enumerate(fine) if (f & c).sum() >= 0.9 * f.sum()]
                if len(parts) > 1:
                    lines.append(f"k={k1} -> k={k2}: class of {int(c.sum())} objects splits into "
                                 + " + ".join(str(int(fine[j].sum())) for j in parts))
        return lines


def _suggest(ks, F):
    """The lecture's criterion, then the hierarchical reading.

    Candidates are the interior k with F(k) < F(k-1) and F(k) < F(k+1); the one with the largest
    drop ``min(F(k-1), F(k+1)) - F(k)`` wins (ties: the larger k). Without such a k, the finest
    stable level (F(k) = k) is suggested, and without one either, the smallest k tried.
    """
    best, best_drop = None, 0
    for a, k, b in zip(ks, ks[1:], ks[2:]):
        if F[k] < F[a] and F[k] < F[b]:
            drop = min(F[a], F[b]) - F[k]
            if drop >= best_drop:
                best, best_drop = k, drop
    if best is not None:
        return best
    stable = [k for k in ks if F[k] == k]
    return stable[-1] if stable else ks[0]


def reproducible_classes(X, k_values=range(2, 7), n_runs: int = 100, *, model: str = "spatial",
                         init: str = "random", min_frequency: float = 0.3, match_threshold: float = 0.9,
                         max_iter: int = 100, random_state=0) -> ReproducibilityResult:
    """Suggest the number of classes by counting frequently reproduced classes.

    Parameters
    ----------
    X : array-like of shape (N, d)
        The objects.
    k_values : sequence of int
        Increasing consecutive ints >= 2 (start with two classes, as the lecture advises).
    n_runs : int
        Classifications per k, each from its own random initial kernels (method of dynamic
        kernels, :class:`~course_utils.estimators.kohonen.DynamicKernels`).
    model : {"spatial", "spherical", "linear"}
        The kernel model.
    init : {"random", "k-means++"}
        Initial kernels: ``"random"`` (k random objects, as the lecture starts; the default) or
        ``"k-means++"`` (random objects spread over the data: fewer runs stuck in a poor local
        optimum, so the frequencies differ from the lecture's).
    min_frequency : float
        Share of the runs in which a class must appear to count as frequent.
    match_threshold : float
        Jaccard index above which two classes are the same class.
    max_iter : int
        The most iterations of each classification.
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        Seed of the whole experiment.

    Returns
    -------
    :class:`ReproducibilityResult` with ``n_frequent``, ``suggested``, ``table()``, ``hierarchy()``.
    """
    X = check_data(X, min_samples=3)
    ks = [check_n_clusters(k, X, minimum=2, name="k") for k in k_values]
    if not ks or any(b != a + 1 for a, b in zip(ks, ks[1:])):
        raise ValueError(f"k_values must be consecutive increasing integers (e.g. range(2, 7)), got {list(k_values)}.")
    n_runs = check_int(n_runs, "n_runs", minimum=2)
    if not 0 < min_frequency <= 1:
        raise ValueError(f"min_frequency is a share of runs and must be in (0, 1], got {min_frequency!r}.")
    if init not in ("k-means++", "random"):
        raise ValueError(f"init must be 'k-means++' or 'random', got {init!r}.")
    rng = check_random_state(random_state, generator=True)
    classes, n_distinct, n_frequent, part_freq = {}, {}, {}, {}
    for k in ks:
        members, run_sizes = [], []
        for _ in range(n_runs):
            labels = DynamicKernels(k, model=model, init=init, max_iter=max_iter, random_state=rng).fit(X).labels_
            found = [labels == i for i in range(k) if np.any(labels == i)]
            members.extend(found)
            run_sizes.append(len(found))
        group, reps = match_classes(np.array(members), match_threshold)
        # which groups each run produced -> partition identity and per-group counts
        pos = 0
        counts = np.zeros(len(reps))
        partitions: dict[tuple, int] = {}
        for labels_count in run_sizes:
            g = tuple(sorted(set(group[pos:pos + labels_count].tolist())))
            pos += labels_count
            counts[list(g)] += 1
            partitions[g] = partitions.get(g, 0) + 1
        freq = counts / n_runs
        order = np.argsort(-freq, kind="stable")
        classes[k] = [(float(freq[g]), reps[g]) for g in order]
        n_distinct[k] = len(reps)
        n_frequent[k] = int((freq >= min_frequency).sum())
        part_freq[k] = max(partitions.values()) / n_runs
    suggested = _suggest(ks, n_frequent)
    stable = [k for k in ks if n_frequent[k] == k]
    return ReproducibilityResult(ks, n_runs, float(min_frequency), classes, n_distinct, n_frequent, part_freq,
                                 suggested, stable)
