"""Tests of course_utils.targets.clustering (the one-call entry point) and course_utils.targets.assignment.

Quality bars on a representative subset of fixed seeds (the full seeds table is printed by
``benchmarks/bench_cluster.py --seeds``; the notebook shows seed 0 of every data set).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from keras import ops
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score as ari

from course_utils import data
from course_utils.instructor.scoring import score_target, total_points
from course_utils.targets.clustering import OBJECTIVES, cluster, fit_cluster, pick_restart


# --- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    (dict(objective="kmeans"), "unknown objective"),
    (dict(objective="spectral", n_neighbours=5), "unknown option"),
    (dict(objective="ncut", epochs=0), "epochs"),
    (dict(objective="ncut", learning_rate=-1.0), "learning_rate"),
    (dict(objective="ncut", n_neighbors=1000), "n_neighbors"),
    (dict(objective="iic", oversegment=0), "oversegment"),
    (dict(objective="spectral", oversegment=4), "unknown option"),
    (dict(objective="spectral", seed=-1), "seed"),
    (dict(objective="spectral", subsample=3), "subsample"),
])
def test_bad_options(kwargs, match):
    X, _ = data.moons(60)
    with pytest.raises(ValueError, match=match):
        cluster(X, 2, **kwargs)


def test_bad_data_and_n_clusters():
    X, _ = data.moons(60)
    with pytest.raises(ValueError, match="n_clusters"):
        cluster(X, 1)
    with pytest.raises(ValueError, match="n_clusters"):
        cluster(X, 2.0)
    Xn = X.copy()
    Xn[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        cluster(Xn, 2)
    with pytest.raises(ValueError, match="2-D"):
        cluster(X[:, 0], 2)


def test_every_objective_runs_and_returns_int_labels():
    X, y, _ = data.blobs(120, box=15)
    for obj in OBJECTIVES:
        lab = cluster(X, 3, obj, seed=0, epochs=50, n_restarts=1) if obj != "centroid" \
            else cluster(X, 3, obj, seed=0, epochs=50)
        assert lab.shape == (120,) and lab.dtype.kind == "i" and lab.min() >= 0 and lab.max() < 3


def test_same_seed_same_labels():
    X, _ = data.moons(150, random_state=3)
    a = cluster(X, 2, "ncut", seed=1, epochs=100, n_restarts=2)
    b = cluster(X, 2, "ncut", seed=1, epochs=100, n_restarts=2)
    np.testing.assert_array_equal(a, b)


# --- quality bars (representative seeds) ----------------------------------------------------
def test_moons_spectral():
    X, y = data.moons(500, noise=0.1, random_state=1)
    assert ari(y, cluster(X, 2, "spectral", seed=1)) >= 0.98


@pytest.mark.parametrize("noise,factor", [(0.1, 0.2), (0.05, 0.5)])
def test_circles_spectral(noise, factor):
    X, y = data.circles(500, noise=noise, factor=factor, random_state=0)
    assert ari(y, cluster(X, 2, "spectral", seed=0)) == pytest.approx(1.0)


def test_blobs_spectral_not_worse_than_kmeans():
    X, y, _ = data.blobs(500, box=15)
    km = ari(y, KMeans(3, n_init=10, random_state=0).fit_predict(X))
    assert ari(y, cluster(X, 3, "spectral", seed=0)) >= km - 0.02


def test_spectral_large_n_trains_on_a_subsample():
    X, y = data.moons(6000, noise=0.1, random_state=0)
    res = fit_cluster(X, 2, "spectral", seed=0, subsample=1500, n_restarts=2)
    assert res.labels.shape == (6000,)
    assert ari(y, res.labels) >= 0.95


# --- student targets ------------------------------------------------------------------------
def soft_ncut(P, graph):
    WP = ops.matmul(graph.W, P)
    vol = ops.sum(P * ops.expand_dims(graph.degree, 1), axis=0)
    cut = vol - ops.sum(P * WP, axis=0)
    pi = ops.mean(P, axis=0)
    return ops.sum(cut / (vol + 1e-7)) + ops.sum(pi * ops.log(pi + 1e-7))


def test_custom_target_through_cluster():
    X, y = data.circles(300, noise=0.05, factor=0.5, random_state=2)
    lab = cluster(X, 2, soft_ncut, seed=0, epochs=100, n_restarts=1)
    assert lab.shape == (300,)


@pytest.mark.parametrize("fn,why", [
    (lambda P, g: ops.sum(ops.log(P - 1.0)), "NaN"),                # NaN
    (lambda P, g: P * 2.0, "shape"),                                 # wrong shape
    (lambda P, g: 1 / 0, "ZeroDivisionError"),                      # raises
    (lambda P, g: ops.convert_to_tensor(np.float32(1.0)), "depend"),  # ignores P
    ("not a function", "function"),
])
def test_broken_student_targets_score_zero_with_a_message(fn, why):
    X, y = data.moons(100, random_state=1)
    s = score_target(fn, X, y, name="moons", max_points=3)
    assert s.points == 0 and s.max_points == 3
    assert why in s.message, s.message
    assert "moons" in str(s)


def test_score_thresholds():
    X, y = data.circles(300, noise=0.05, factor=0.5, random_state=4)
    s = score_target(soft_ncut, X, y, max_points=2, thresholds=((-1.0, 1.0),), epochs=20, n_restarts=1)
    assert s.points == 2 and np.isfinite(s.ari)
    assert total_points([s, s]) == 4


def test_restart_choice_cannot_be_flipped_by_rounding():
    # another CPU changes final losses in their last bits; the kept restart must not change
    rng = np.random.default_rng(0)
    for scores in ([0.0271, 0.0297, 0.0373], [2e-4, 2e-4 * (1 + 1e-7), 2e-4 * (1 - 1e-7)],
                   [-0.656, -0.6560001, -0.630], [0.5, 0.4, 0.4 * (1 + 1e-6)]):
        kept = pick_restart(scores)
        for _ in range(20):
            noisy = np.asarray(scores) * (1 + 1e-6 * rng.standard_normal(len(scores)))
            assert pick_restart(noisy) == kept
    assert pick_restart([2e-4, 2e-4 * (1 - 1e-7)]) == 0        # near-equal: the lowest index wins
    assert pick_restart([0.5, 0.4, 0.4]) == 1
    assert pick_restart([0.0271, 0.0200, 0.0373]) == 1         # a real difference still counts
    assert pick_restart([np.inf, np.nan, 0.3]) == 2            # a collapsed restart never wins
    assert pick_restart([np.inf, np.nan]) == 0
    with pytest.raises(ValueError, match="at least one"):
        pick_restart([])


@pytest.mark.parametrize("obj", ["ncut", "spectral"])
def test_reused_train_step_gives_the_fresh_result_and_leaks_nothing(obj):
    # cluster() traces the train step once per architecture and size and reuses it; a reused
    # step must give what a freshly traced one gives, for any data, whatever ran before
    from course_utils.targets import reuse as T

    X1, _ = data.moons(120, noise=0.1, random_state=0)
    X2, _ = data.circles(120, noise=0.05, factor=0.5, random_state=1)
    opts = dict(epochs=40, n_restarts=2)
    T._TRAIN_CACHE.clear()
    fresh2 = fit_cluster(X2, 2, obj, seed=1, **opts)            # traced for this call
    T._TRAIN_CACHE.clear()
    first = fit_cluster(X1, 2, obj, seed=0, **opts)             # traced, then cached
    w_first = [w.copy() for w in first.model.get_weights()]
    (twin, _, _), = T._TRAIN_CACHE.values()
    fn = twin.train_function
    again2 = fit_cluster(X2, 2, obj, seed=1, **opts)            # reused, other graph and seed
    again1 = fit_cluster(X1, 2, obj, seed=0, **opts)            # reused, back to the first
    assert len(T._TRAIN_CACHE) == 1 and twin.train_function is fn
    assert np.array_equal(again2.labels, fresh2.labels) and again2.losses == fresh2.losses
    np.testing.assert_array_equal(again2.output, fresh2.output)
    assert np.array_equal(again1.labels, first.labels) and again1.losses == first.losses
    # a returned model is the caller's own: later calls do not change its weights
    for a, b in zip(w_first, first.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert again1.model is not first.model and again1.model is not twin
