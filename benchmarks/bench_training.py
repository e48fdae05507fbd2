"""Centroid network, N = 300, 300 full-batch epochs: the lecture's training loop vs course_utils.targets.train.

* **lecture** — the seed program of lecture 02: ``model.compile(loss=my_err_func,
  run_eagerly=True)`` and ``model.fit(data, zeros, batch_size=N, epochs=300)``; every epoch is one
  gradient step executed op by op in Python (the loss is the faithful copy in
  ``course_utils.targets.losses_lecture``).
* **course_utils.targets.train** — ``fit_clustering(net, X, centroid_loss(X, 3), epochs=300)``: the same
  300 full-batch Adam steps, compiled, many steps per call into the graph.

Both start from the same initial weights (``seed=0``). Each side is first warmed up once on a
throwaway network (TensorFlow's one-time start-up costs, paid once per process, are not the
subject), then timed ``--repeat`` times on a fresh network; the best time counts. A timed run
includes everything the user waits for in a fit, graph tracing included. Checks that the final inertias
agree within 1 %. The last line is
``ratio: X`` = lecture time / course_utils time (target ≥ 15).

    python benchmarks/bench_training.py [--epochs 300] [--repeat 2]
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
from _timing import best_time  # noqa: E402

import course_utils  # noqa: E402
from course_utils import data  # noqa: E402
from course_utils.targets import losses, losses_lecture, models, train  # noqa: E402


def main() -> float:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    course_utils.setup(0, quiet=True)
    X, _, _ = data.blobs(300)
    n, k = X.shape[0], 3

    def lecture(epochs):
        net = models.centroid_network(2, k, seed=0)
        net.compile(loss=losses_lecture.lecture_centroid_loss(X, k), optimizer="adam", run_eagerly=True)
        net.fit(X, np.zeros((n, k)), batch_size=n, epochs=epochs, verbose=0)
        return net

    def ours(epochs):
        net = models.centroid_network(2, k, seed=0)
        train.fit_clustering(net, X, losses.centroid_loss(X, k), epochs=epochs)
        return net

    lecture(2), ours(2)                                   # warm-up, not timed
    t_lecture, lect = best_time(lambda: lecture(args.epochs), args.repeat)
    t_ours, mine = best_time(lambda: ours(args.epochs), args.repeat)
    in_lecture = train.inertia(X, train.predict_centers(lect, X, k))
    in_ours = train.inertia(X, train.predict_centers(mine, X, k))

    diff = abs(in_ours - in_lecture) / in_lecture
    print(f"lecture (run_eagerly, 1 step per fit epoch): {t_lecture:7.2f} s  "
          f"({t_lecture / args.epochs * 1000:.1f} ms/epoch), inertia {in_lecture:.2f}")
    print(f"course_utils.targets.train.fit_clustering:           {t_ours:7.2f} s  "
          f"({t_ours / args.epochs * 1000:.2f} ms/epoch), inertia {in_ours:.2f}")
    print(f"inertia difference {diff * 100:.3f} % ({'OK' if diff <= 0.01 else 'MORE THAN 1 %'})")
    ratio = t_lecture / t_ours
    print(f"ratio: {ratio:.1f}")
    return ratio


if __name__ == "__main__":
    main()
