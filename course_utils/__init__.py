"""Companion package of the course *Clustering by target functions*.

Every notebook starts with ``course_utils.setup()``: it seeds every random number
generator the course touches, makes TensorFlow's kernels deterministic, and sets
plot defaults that read well on a projector.

Modules, by lecture: ``data``, ``metrics``, ``plots``, ``validation`` (all lectures);
``losses``, ``models``, ``train`` (02–04); ``graph_losses``, ``clustering``, ``assignment`` (05);
``kohonen``, ``stability`` (06); ``kmeans`` (07); ``gan_kmeans`` (08); ``grading``,
``autograde``, ``slides`` (for instructors and graders).
"""
from __future__ import annotations

import os

# Quiet, deterministic TensorFlow: must be set before TensorFlow is imported.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# The course's networks are small: one thread per TensorFlow operation, independent operations
# (the restarts of cluster()) side by side on the cores. On a 2-core CPU a cluster(X, 2, "spectral")
# call at N = 500 took 1.15 s with the default (every product split over both cores) and 0.57 s
# so (benchmarks/bench_cluster.py). Set TF_NUM_INTRAOP_THREADS yourself to choose otherwise.
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")

from ._setup import setup  # noqa: E402

__version__ = "0.1.0"
__all__ = ["setup", "cluster", "__version__"]


def cluster(X, n_clusters: int, objective="spectral", seed: int = 0, **options):
    """Cluster ``X`` by training a network on a named target function; return integer labels.

    ``objective`` is ``"centroid"``, ``"proximity"``, ``"ncut"``, ``"spectral"``, ``"iic"`` or a
    function ``fn(P, graph)`` of your own. See :func:`course_utils.targets.clustering.cluster` for the
    options. (Imported on first use, so ``import course_utils`` stays light.)

    Parameters
    ----------
    X : array-like of shape (N, D)
        The data.
    n_clusters : int
        The number of clusters (at least 2).
    objective : str or callable
        ``"centroid"``, ``"proximity"``, ``"ncut"``, ``"spectral"``, ``"iic"`` or a target ``fn(P, graph)``.
    seed : int
        Seed of the networks' initial weights (and of the subsample, for large data).
    **options
        The objective's options (see :data:`course_utils.targets.clustering.DEFAULTS`).

    Returns
    -------
    ndarray of shape (N,)
        Integer cluster labels.
    """
    from .targets.clustering import cluster as _cluster

    return _cluster(X, n_clusters, objective=objective, seed=seed, **options)
