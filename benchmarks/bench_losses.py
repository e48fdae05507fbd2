"""Proximity loss: the lecture's (N, N, K) broadcast vs the matrix product, per training step.

For N = 500, 2 000, 4 000 (blobs, box ±15, nearness 0.1/(d + 0.1), K = 3, lecture 001's network)
each form trains ``--steps`` full-batch epochs through ``course_utils.targets.train.fit_clustering`` in a
fresh child process; reported are seconds per step (the first block, which includes graph tracing,
is left out) and the peak memory the training added (peak RSS minus RSS before ``fit``):

* **broadcast** — ``losses_lecture.lecture_normalized_proximity_loss`` (memory N²·K per tensor);
* **matrix** — ``losses.normalized_proximity_loss`` with a dense nearness matrix (``M @ P``);
* **sparse** — the same loss with a 10-nearest-neighbour sparse nearness matrix, at N = 100 000
  (a dense matrix would need 40 GB; the broadcast 120 GB).

The last line is ``ratio: X`` = broadcast / matrix seconds per step at the largest dense N.

    python benchmarks/bench_losses.py [--steps 20] [--sizes 500 2000 4000] [--sparse-n 100000]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")  # pragma: no cover


def child(form: str, n: int, steps: int) -> dict:
    import keras

    import course_utils
    from course_utils import data
    from course_utils.targets import losses, losses_lecture, models, train

    course_utils.setup(0, quiet=True)
    X, _, _ = data.blobs(n, box=15)
    if form == "sparse":
        M = losses.nearness_matrix(X, "rational", a=0.1, n_neighbors=10)
    else:
        M = losses.nearness_matrix(X, "rational", a=0.1)
    loss = {"broadcast": lambda: losses_lecture.lecture_normalized_proximity_loss(M, 3),
            "matrix": lambda: losses.normalized_proximity_loss(M, 3),
            "sparse": lambda: losses.normalized_proximity_loss(M, 3)}[form]()
    net = models.assignment_network(2, 3, seed=0)
    block = 5 if steps % 5 == 0 else 1

    class Clock(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.ends = []

        def on_epoch_end(self, epoch, logs=None):
            self.ends.append(time.perf_counter())

    clock = Clock()
    base = _rss_mb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    hist = train.fit_clustering(net, X, loss, epochs=steps, steps_per_execution=block, record_steps=False,
                                callbacks=[clock])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = clock.ends
    per_step = (t[-1] - t[0]) / (steps - block) if len(t) > 1 else hist.seconds / steps
    return {"form": form, "n": n, "s_per_step": per_step, "added_mb": max(peak, peak_before) - base,
            "final_loss": hist.history["loss"][-1]}


def run_child(form: str, n: int, steps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", form, str(n), str(steps)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return {"form": form, "n": n, "error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> float:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 4000])
    ap.add_argument("--sparse-n", type=int, default=100_000)
    ap.add_argument("--child", nargs=3, metavar=("FORM", "N", "STEPS"))
    args = ap.parse_args()
    if args.child:
        form, n, steps = args.child
        print(json.dumps(child(form, int(n), int(steps))))
        return 0.0

    rows = {}
    print(f"{'form':>10} {'N':>7} {'s/step':>10} {'peak MB':>9} {'final loss':>11}")
    for n in args.sizes:
        for form in ("broadcast", "matrix"):
            r = run_child(form, n, args.steps)
            rows[form, n] = r
            if "error" in r:
                print(f"{form:>10} {n:>7}  failed: {r['error']}")
            else:
                print(f"{form:>10} {n:>7} {r['s_per_step']:10.4f} {r['added_mb']:9.1f} {r['final_loss']:11.3f}")
    r = run_child("sparse", args.sparse_n, args.steps)
    if "error" in r:
        print(f"{'sparse':>10} {args.sparse_n:>7}  failed: {r['error']}")
    else:
        print(f"{'sparse':>10} {args.sparse_n:>7} {r['s_per_step']:10.4f} {r['added_mb']:9.1f} {r['final_loss']:11.3f}"
              f"   (kNN k=10; dense M would be {args.sparse_n**2 * 4 / 2**30:.0f} GB)")
    n = max(args.sizes)
    b, m = rows.get(("broadcast", n), {}), rows.get(("matrix", n), {})
    ratio = b["s_per_step"] / m["s_per_step"] if "s_per_step" in b and "s_per_step" in m else float("nan")
    print(f"speed-up of the matrix form at N = {n}: {ratio:.1f}x per step")
    print(f"ratio: {ratio:.1f}")
    return ratio


if __name__ == "__main__":
    main()
