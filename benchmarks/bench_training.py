"""Centroid network, N = 300, 300 full-batch epochs: the lecture's training loop vs course_utils.train.

* **lecture** — the seed program of lecture 02: ``model.compile(loss=my_err_func,
  run_eagerly=True)`` and ``model.fit(data, zeros, batch_size=N, epochs=300)``; every epoch is one
  gradient step executed op by op in Python (the loss is the faithful copy in
  ``course_utils.losses_lecture``).
* **course_utils.train** — ``fit_clustering(net, X, centroid_loss(X, 3), epochs=300)``: the same
  300 full-batch Adam steps, compiled, many steps per call into the graph.

Both start from the same initial weights (``seed=0``). Wall time includes everything the user waits
for (graph tracing included). Checks that the final inertias agree within 1 %. The last line is
``ratio: X`` = lecture time / course_utils time (target ≥ 15).

    python benchmarks/bench_training.py [--epochs 300]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

import course_utils  # noqa: E402
from course_utils import data, losses, losses_lecture, models, train  # noqa: E402


def main() -> float:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=300)
    args = ap.parse_args()
    course_utils.setup(0, quiet=True)
    X, _, _ = data.blobs(300)
    n, k = X.shape[0], 3

    lect = models.centroid_network(2, k, seed=0)
    lect.compile(loss=losses_lecture.lecture_centroid_loss(X, k), optimizer="adam", run_eagerly=True)
    t0 = time.perf_counter()
    lect.fit(X, np.zeros((n, k)), batch_size=n, epochs=args.epochs, verbose=0)
    t_lecture = time.perf_counter() - t0
    in_lecture = train.inertia(X, train.predict_centers(lect, X, k))

    ours = models.centroid_network(2, k, seed=0)
    t0 = time.perf_counter()
    train.fit_clustering(ours, X, losses.centroid_loss(X, k), epochs=args.epochs)
    t_ours = time.perf_counter() - t0
    in_ours = train.inertia(X, train.predict_centers(ours, X, k))

    diff = abs(in_ours - in_lecture) / in_lecture
    print(f"lecture (run_eagerly, 1 step per fit epoch): {t_lecture:7.2f} s  "
          f"({t_lecture / args.epochs * 1000:.1f} ms/epoch), inertia {in_lecture:.2f}")
    print(f"course_utils.train.fit_clustering:           {t_ours:7.2f} s  "
          f"({t_ours / args.epochs * 1000:.2f} ms/epoch), inertia {in_ours:.2f}")
    print(f"inertia difference {diff * 100:.3f} % ({'OK' if diff <= 0.01 else 'MORE THAN 1 %'})")
    ratio = t_lecture / t_ours
    print(f"ratio: {ratio:.1f}")
    return ratio


if __name__ == "__main__":
    main()
