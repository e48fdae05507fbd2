"""Speed and quality of ``course_utils.cluster`` against scikit-learn, both sides in this process.

1. Seconds of one ``cluster(X, k, objective)`` call at N = 500 (moons, noise 0.1) for every
   objective, next to ``sklearn.cluster.SpectralClustering(affinity="nearest_neighbors")`` and
   ``KMeans``. Aim: each call <= 5 s on a 2-core CPU.
2. ``--seeds``: the quality table of lecture 05 — ARI of the spectral, ncut and iic objectives,
   of k-means, of the baseline "k-means into 4K segments, then the ncut merge on the same graph"
   (:func:`course_utils.baselines.kmeans_merge`) and of scikit-learn's SpectralClustering given
   the same graph (``affinity="precomputed"``) on moons (noise 0.1), circles (0.1, 0.2) and
   (0.05, 0.5), and blobs(500, box=15) for seeds 0–4.
3. ``--large``: N = 10 000 moons for the spectral and ncut objectives (the networks train on a
   3000-point subsample; spectral applies its network to all points, ncut labels the rest by a
   vote of their 10 nearest training points), next to scikit-learn's SpectralClustering with its
   default-style graph (10 neighbours, raw data) and with the graph ``cluster`` builds at this N
   (shared-neighbour weights on standardised data, ``n_neighbors="auto"``) — like for like.

Each timing is the best of ``--repeat`` runs (the machine may be shared: timings are noisy).
The last line is ``ratio: X`` = seconds of ``cluster(..., "spectral")`` / seconds of
scikit-learn's SpectralClustering on the same moons.

    python benchmarks/bench_cluster.py [--repeat 2] [--seeds] [--large]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
from sklearn.cluster import KMeans, SpectralClustering  # noqa: E402
from sklearn.metrics import adjusted_rand_score as ari  # noqa: E402

from course_utils import data  # noqa: E402
from course_utils.baselines import course_graph, kmeans_merge  # noqa: E402
from course_utils.clustering import OBJECTIVES, cluster  # noqa: E402
from _timing import best_time  # noqa: E402


def anisotropic(n: int = 500, seed: int = 170):
    """Lecture 05's stretched blobs: three blobs, one linear map for all points."""
    X, y, _ = data.blobs(n, 3, box=10, random_state=seed)
    return X @ np.array([[0.6, -0.64], [-0.41, 0.85]]), y

SETS = {
    "moons": lambda s: data.moons(500, noise=0.1, random_state=s),
    "circles(0.1,0.2)": lambda s: data.circles(500, noise=0.1, factor=0.2, random_state=s),
    "circles(0.05,0.5)": lambda s: data.circles(500, noise=0.05, factor=0.5, random_state=s),
    "blobs": lambda s: data.blobs(500, box=15, random_state=s)[:2],
    "anisotropic": lambda s: anisotropic(seed=170 + s),
}




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seeds", action="store_true", help="print the seeds 0-4 quality table")
    ap.add_argument("--large", action="store_true", help="also cluster N = 10 000 moons")
    ap.add_argument("--only-extra", action="store_true", help="skip the N = 500 timings (quality tables only)")
    args = ap.parse_args()

    X, y = data.moons(500, noise=0.1, random_state=0)
    cluster(X, 2, "spectral", seed=0, epochs=10)                     # warm up TensorFlow
    sk = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10, random_state=0)
    t_sk, lab = best_time(lambda: sk.fit_predict(X), args.repeat)
    print(f"{'scikit-learn SpectralClustering':32s} {t_sk:6.2f} s  ARI {ari(y, lab):.3f}")
    t_km, lab = best_time(lambda: KMeans(2, n_init=10, random_state=0).fit_predict(X), args.repeat)
    print(f"{'scikit-learn KMeans':32s} {t_km:6.2f} s  ARI {ari(y, lab):.3f}")
    times = {}
    for obj in (() if args.only_extra else OBJECTIVES):
        times[obj], lab = best_time(lambda: cluster(X, 2, obj, seed=0), args.repeat)
        print(f"{'cluster(' + obj + ')':32s} {times[obj]:6.2f} s  ARI {ari(y, lab):.3f}")

    if args.seeds:
        print("\nARI for seeds 0-4:")
        for name, make in SETS.items():
            rows = {m: [] for m in ("spectral", "ncut", "iic", "k-means", "km-merge", "sk-same-graph")}
            for s in range(5):
                Xs, ys = make(s)
                k = len(np.unique(ys))
                for m in ("spectral", "ncut", "iic"):
                    rows[m].append(ari(ys, cluster(Xs, k, m, seed=s)))
                rows["k-means"].append(ari(ys, KMeans(k, n_init=10, random_state=s).fit_predict(Xs)))
                rows["km-merge"].append(ari(ys, kmeans_merge(Xs, k, seed=s)[0]))
                sk_same = SpectralClustering(k, affinity="precomputed", random_state=s)
                rows["sk-same-graph"].append(ari(ys, sk_same.fit_predict(course_graph(Xs))))
            for m, a in rows.items():
                print(f"{name:18s} {m:9s} {' '.join(f'{v:.3f}' for v in a)}", flush=True)

    if args.large:
        Xl, yl = data.moons(10_000, noise=0.1, random_state=0)
        for m in ("spectral", "ncut"):
            t0 = time.perf_counter()
            lab = cluster(Xl, 2, m, seed=0)
            print(f"\nN=10000 moons: cluster({m}) {time.perf_counter() - t0:.1f} s ARI {ari(yl, lab):.3f}")
        t0 = time.perf_counter()
        lab_sk = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10,
                                    random_state=0).fit_predict(Xl)
        print(f"N=10000 moons: scikit-learn SpectralClustering {time.perf_counter() - t0:.1f} s "
              f"ARI {ari(yl, lab_sk):.3f}")
        t0 = time.perf_counter()
        W = course_graph(Xl)                      # the graph cluster() builds at this N
        lab_sk = SpectralClustering(2, affinity="precomputed", random_state=0).fit_predict(W)
        print(f"N=10000 moons: scikit-learn SpectralClustering on cluster()'s graph (graph included) "
              f"{time.perf_counter() - t0:.1f} s ARI {ari(yl, lab_sk):.3f}")

    if "spectral" in times:
        print(f"ratio: {times['spectral'] / t_sk:.2f}")


if __name__ == "__main__":
    main()
