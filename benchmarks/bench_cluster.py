"""Speed and quality of ``course_utils.cluster`` against scikit-learn, both sides in this process.

1. Seconds of one ``cluster(X, k, objective)`` call at N = 500 (moons, noise 0.1) for every
   objective, next to ``sklearn.cluster.SpectralClustering(affinity="nearest_neighbors")`` and
   ``KMeans``: the first call of a process (it traces the train step) and a later call on other
   data of the same size (it reuses the traced step, as lecture 05's dozens of calls do).
   Aim: a later call <= 1 s on an idle 2-core CPU. Also CPU seconds (less disturbed by other load).
2. ``--seeds``: the quality table of lecture 05 — ARI of the spectral, ncut and iic objectives and
   of k-means on blobs(500, box=15), moons (noise 0.1), circles (0.1, 0.2) and (0.05, 0.5) and
   the anisotropic blobs, for seeds 0–4 (data and network seed alike), with the seconds per call.
   Beside them: the baseline "k-means into 4K segments, then the same merge on the same graph"
   (``km-merge``), scikit-learn's SpectralClustering given the course's graph (``sk-same-graph``) and
   with its usual 10-neighbour graph on the raw data (``sk-usual``).
3. ``--large``: N = 10 000 moons for the spectral and ncut objectives (the networks train on a
   3000-point subsample; spectral applies its network to all points, ncut labels the rest by a
   vote of their 10 nearest training points).

Each later-call timing is the best of ``--repeat`` runs (the machine may be shared: timings are
noisy; the load average is printed). The last line is ``ratio: X`` = seconds of a later
``cluster(..., "spectral")`` call / seconds of scikit-learn's SpectralClustering on the same moons.

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
from _timing import best_time  # noqa: E402
from sklearn.cluster import KMeans, SpectralClustering  # noqa: E402
from sklearn.metrics import adjusted_rand_score as ari  # noqa: E402

from course_utils import data  # noqa: E402
from course_utils.targets.baselines import course_graph, kmeans_merge  # noqa: E402
from course_utils.targets.clustering import OBJECTIVES, cluster  # noqa: E402


def anisotropic(n: int = 500, seed: int = 170):
    """Lecture 05's stretched blobs (notebooks/05_moons_assignment.ipynb)."""
    X, y, _ = data.blobs(n, 3, box=10, random_state=seed)
    return X @ np.array([[0.6, -0.64], [-0.41, 0.85]]), y


SETS = {
    "blobs": lambda s: data.blobs(500, box=15, random_state=s)[:2],
    "moons": lambda s: data.moons(500, noise=0.1, random_state=s),
    "circles(0.1,0.2)": lambda s: data.circles(500, noise=0.1, factor=0.2, random_state=s),
    "circles(0.05,0.5)": lambda s: data.circles(500, noise=0.05, factor=0.5, random_state=s),
    "anisotropic": lambda s: anisotropic(500, seed=s),
}


def timed(fn):
    """(wall seconds, CPU seconds of this process, result) of one call."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seeds", action="store_true", help="print the seeds 0-4 quality table")
    ap.add_argument("--large", action="store_true", help="also cluster N = 10 000 moons")
    args = ap.parse_args()

    X, y = data.moons(500, noise=0.1, random_state=0)
    cluster(X, 2, "spectral", seed=0, epochs=10)                     # warm up TensorFlow
    sk = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10, random_state=0)
    t_sk, lab = best_time(lambda: sk.fit_predict(X), args.repeat)
    print(f"{'scikit-learn SpectralClustering':32s} {t_sk:6.2f} s  ARI {ari(y, lab):.3f}")
    t_km, lab = best_time(lambda: KMeans(2, n_init=10, random_state=0).fit_predict(X), args.repeat)
    print(f"{'scikit-learn KMeans':32s} {t_km:6.2f} s  ARI {ari(y, lab):.3f}")
    X1, _ = data.moons(500, noise=0.1, random_state=1)          # other data, same size
    times = {}
    print(f"{'':32s} {'first call':>17s} {'later call':>17s}   (wall s / CPU s)")
    for obj in OBJECTIVES:
        w1, c1, _ = timed(lambda: cluster(X1, 2, obj, seed=1))
        times[obj], lab = best_time(lambda: cluster(X, 2, obj, seed=0), args.repeat)
        _, c2, _ = timed(lambda: cluster(X, 2, obj, seed=0))
        print(f"{'cluster(' + obj + ')':32s} {w1:7.2f} / {c1:6.2f}   {times[obj]:7.2f} / {c2:6.2f}   "
              f"ARI {ari(y, lab):.3f}", flush=True)
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    if args.seeds:
        print("\nARI for seeds 0-4 (data and network seed), and the mean seconds per call:")
        for name, make in SETS.items():
            rows = {m: [] for m in ("spectral", "ncut", "iic", "k-means", "km-merge", "sk-same-graph", "sk-usual")}
            secs = {m: [] for m in rows}
            for s in range(5):
                Xs, ys = make(s)
                k = len(np.unique(ys))
                for m in ("spectral", "ncut", "iic"):
                    w, _, lab = timed(lambda: cluster(Xs, k, m, seed=s))
                    rows[m].append(ari(ys, lab))
                    secs[m].append(w)
                w, _, lab = timed(lambda: KMeans(k, n_init=10, random_state=s).fit_predict(Xs))
                rows["k-means"].append(ari(ys, lab))
                secs["k-means"].append(w)
                w, _, (lab, _, _) = timed(lambda: kmeans_merge(Xs, k, seed=s))   # k-means segments + the merge
                rows["km-merge"].append(ari(ys, lab))
                secs["km-merge"].append(w)
                sk_same = SpectralClustering(k, affinity="precomputed", random_state=s)   # the course's graph
                w, _, lab = timed(lambda: sk_same.fit_predict(course_graph(Xs)))
                rows["sk-same-graph"].append(ari(ys, lab))
                secs["sk-same-graph"].append(w)
                sk_usual = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=10, random_state=s)
                w, _, lab = timed(lambda: sk_usual.fit_predict(Xs))       # its usual graph on the raw data
                rows["sk-usual"].append(ari(ys, lab))
                secs["sk-usual"].append(w)
            for m, a in rows.items():
                print(f"{name:18s} {m:9s} {' '.join(f'{v:.3f}' for v in a)}   {np.mean(secs[m]):6.2f} s",
                      flush=True)
        print(f"load average (1 min): {os.getloadavg()[0]:.1f}")

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
        lab_sk = SpectralClustering(2, affinity="precomputed", random_state=0).fit_predict(course_graph(Xl))
        print(f"N=10000 moons: scikit-learn SpectralClustering on cluster()'s graph (graph included) "
              f"{time.perf_counter() - t0:.1f} s ARI {ari(yl, lab_sk):.3f}")

    print(f"ratio: {times['spectral'] / t_sk:.2f}")


if __name__ == "__main__":
    main()
