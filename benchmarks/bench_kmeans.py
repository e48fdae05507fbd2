"""Speed of course_utils.estimators.kmeans against scikit-learn, both sides in this one process.

1. ``Lloyd`` vs ``sklearn.cluster.KMeans(algorithm="lloyd", n_init=1)`` from the same initial
   centres for the same number of iterations, N = 100 000, d = 16, K = 16 (aim: within 2x).
2. ``HartiganWong`` at N = 10 000, d = 8, K = 10 (aim: <= 2 s) and its ratio to ``Lloyd``.

Each timing is the best of ``--repeat`` runs (the machine may be shared). The last line is
``ratio: X`` = Lloyd time / scikit-learn time.

    python benchmarks/bench_kmeans.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
from _timing import best_time  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from course_utils.estimators.kmeans import HartiganWong, Lloyd  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    # --- 1. Lloyd vs scikit-learn ------------------------------------------------------------
    X, _ = make_blobs(n_samples=100_000, n_features=16, centers=16, cluster_std=4.0, random_state=0)
    rng = np.random.default_rng(0)
    C0 = X[rng.choice(X.shape[0], 16, replace=False)]
    ours = Lloyd(16, init=C0, max_iter=300).fit(X)
    n_iter = ours.n_iter_           # R's count: assignment passes, the last one confirming
    t_ours, ours = best_time(lambda: Lloyd(16, init=C0, max_iter=300).fit(X), args.repeat)
    sk_kw = dict(n_clusters=16, init=C0, n_init=1, algorithm="lloyd", max_iter=n_iter, tol=0.0)
    t_sk, sk = best_time(lambda: KMeans(**sk_kw).fit(X), args.repeat)
    same = np.array_equal(ours.labels_, sk.labels_)
    rel = abs(ours.inertia_ - sk.inertia_) / sk.inertia_
    print(f"Lloyd  N=100000 d=16 K=16: course_utils {t_ours:.3f} s ({ours.n_iter_} passes), "
          f"scikit-learn {t_sk:.3f} s ({sk.n_iter_} iterations); same labels: {same}, "
          f"WCSS rel. diff {rel:.1e}")
    ratio = t_ours / t_sk
    print(f"Lloyd / scikit-learn: {ratio:.2f}")

    # --- 2. Hartigan-Wong ----------------------------------------------------------------------
    X2, _ = make_blobs(n_samples=10_000, n_features=8, centers=10, cluster_std=3.0, random_state=1)
    C2 = X2[np.random.default_rng(1).choice(X2.shape[0], 10, replace=False)]
    t_hw, hw = best_time(lambda: HartiganWong(10, init=C2, max_iter=100).fit(X2), args.repeat)
    t_ll, ll = best_time(lambda: Lloyd(10, init=C2, max_iter=100).fit(X2), args.repeat)
    print(f"Hartigan-Wong N=10000 d=8 K=10: {t_hw:.3f} s ({hw.n_iter_} iterations, "
          f"WCSS {hw.inertia_:.1f}); Lloyd {t_ll:.3f} s ({ll.n_iter_} passes, WCSS {ll.inertia_:.1f}); "
          f"Hartigan-Wong / Lloyd: {t_hw / t_ll:.1f}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
