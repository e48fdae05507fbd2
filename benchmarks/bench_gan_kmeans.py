"""Speed of the GAN-assisted k-means: the lecture's per-point loop against the vectorised form.

Both sides run in this one process on the seed's data (100 integer points in [1, 10)^2, K = 4)
from the same initial centres and the same generator weights, for the same number of epochs:

* **lecture's form** — a short Keras re-implementation of the seed's PyTorch loop: for every point
  one generator call, the teacher's Python distance loop, one generator "step" (no gradient
  reaches ``G`` through the argmax, exactly as in the seed) and one discriminator step, eagerly;
* **vectorised, batch_size=1** — :class:`course_utils.estimators.gan_kmeans.GANKMeans` with the same number
  of updates (one per point) inside one compiled graph per epoch;
* **vectorised, full batch** — the package's default: one G/D update per epoch.

With ``generator_gradient="none"`` (the seed) the labels do not depend on the discriminator, so
the lecture's form and the vectorised form must give the same labels; this is checked. Timings are
the best of ``--repeat`` runs after a warm-up (graph tracing is excluded; the slow loop runs once).
The last line is ``ratio: X`` = lecture's form / vectorised (batch_size=1) time per epoch: same updates, same result.

    python benchmarks/bench_gan_kmeans.py [--epochs 3] [--repeat 3]
"""
from __future__ import annotations

import argparse
import math
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from _timing import best_time  # noqa: E402

from course_utils.estimators.gan_kmeans import GANKMeans, build_discriminator, build_generator, lecture_points  # noqa: E402


def professor(point, clusters):
    """The seed's teacher: Euclidean distances in a Python loop, -1 when the minimum is shared."""
    x, y = point
    dists = [math.sqrt((x - x1) ** 2 + (y - y1) ** 2) for x1, y1 in clusters]
    return -1 if dists.count(min(dists)) > 1 else dists.index(min(dists))


def lecture_form(X, C0, g_weights, epochs: int, k: int = 4):
    """The seed's ``GANKMeans.KMeans`` loop (without the plots), one point at a time, in Keras."""
    G = build_generator(2, k, seed=None)
    G.set_weights(g_weights)
    D = build_discriminator(1, seed=0)
    opt_g, opt_d = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
    scale = (X.mean(axis=0), X.std(axis=0))          # the package feeds standardised points
    C = C0.copy()
    for _ in range(epochs):
        class_points = {j: [] for j in range(k)}
        labels = []
        for point in X:
            x = tf.constant(((point - scale[0]) / scale[1])[None], dtype=tf.float32)
            with tf.GradientTape() as tape:
                pred_g = tf.cast(tf.argmax(G(x), axis=-1), tf.float32)[:, None]   # no gradient
                g_loss = tf.reduce_mean(tf.math.log(1.0 - tf.sigmoid(D(pred_g))))
            grads = tape.gradient(g_loss, G.trainable_variables)
            pairs = [(g, v) for g, v in zip(grads, G.trainable_variables) if g is not None]
            if pairs:                                                             # never, as in the seed
                opt_g.apply([g for g, _ in pairs], [v for _, v in pairs])
            pred_p = professor(point, C)
            label = int(pred_g[0, 0]) if pred_p == -1 else pred_p
            with tf.GradientTape() as tape:
                prob_0 = tf.sigmoid(D(tf.constant([[float(label)]])))
                prob_1 = tf.sigmoid(D(pred_g))
                d_loss = -tf.reduce_mean(tf.math.log(prob_0) + tf.math.log(1.0 - prob_1))
            opt_d.apply(tape.gradient(d_loss, D.trainable_variables), D.trainable_variables)
            class_points[label].append(point)
            labels.append(label)
        C = np.array([np.mean(class_points[j], axis=0) if class_points[j] else C[j] for j in range(k)])
    return C, np.array(labels)




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    E = args.epochs
    X = lecture_points(100, random_state=0)
    kw = dict(n_init=1, max_iter=E, patience=10**6, generator_gradient="none", random_state=1)

    warm = GANKMeans(4, batch_size=1, **kw).fit(X)             # traces the graph
    GANKMeans(4, **kw).fit(X)
    C0, g_w = warm.init_centers_, warm.generator_.get_weights()  # "none": G is still its initial self

    t_loop, (C_loop, lab_loop) = best_time(lambda: lecture_form(X, C0, g_w, E), 1)
    t_b1, m_b1 = best_time(lambda: GANKMeans(4, batch_size=1, **kw).fit(X), args.repeat)
    t_full, m_full = best_time(lambda: GANKMeans(4, **kw).fit(X), args.repeat)
    same = (np.array_equal(lab_loop, m_b1.labels_) and np.array_equal(lab_loop, m_full.labels_)
            and np.allclose(C_loop, m_b1.cluster_centers_) and np.allclose(C_loop, m_full.cluster_centers_))
    print(f"seed's setting N=100 K=4, {E} epochs (ties in epoch 1: {m_b1.history_['n_ties'][0]})")
    print(f"lecture's form (per point, eager):     {t_loop / E * 1e3:8.1f} ms/epoch")
    print(f"vectorised, batch_size=1 (same updates): {t_b1 / E * 1e3:6.1f} ms/epoch")
    print(f"vectorised, full batch (package default): {t_full / E * 1e3:5.1f} ms/epoch")
    print(f"same labels and centres after {E} epochs: {same}")
    print(f"lecture's form / full batch: {t_loop / t_full:.1f}")
    print(f"ratio: {t_loop / t_b1:.1f}")


if __name__ == "__main__":
    main()
