"""Tests of course_utils.estimators.gan_kmeans against independent computations (loops, NumPy formulas, Lloyd)."""
import math
import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score

from course_utils import data
from course_utils.estimators.gan_kmeans import (
    GANKMeans,
    build_discriminator,
    build_generator,
    discriminator_loss,
    generator_loss,
    lecture_points,
    recompute_centers,
    teacher_labels,
)
from course_utils.estimators.kmeans import Lloyd


def professor(point, centers):
    """The seed's Professor.CalculateDist, verbatim in spirit: -1 on an exact tie."""
    dists = [math.sqrt(sum((a - b) ** 2 for a, b in zip(point, c))) for c in centers]
    return -1 if dists.count(min(dists)) > 1 else dists.index(min(dists))


# --- the teacher -------------------------------------------------------------------------------
def test_teacher_detects_constructed_ties():
    C = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, math.sqrt(3.0) * 4]])
    X = np.array([[1.0, 0.0],      # midway between centres 0 and 1
                  [1.0, -7.0],     # on the bisector of 0 and 1, far away
                  [0.5, 0.0],      # nearer centre 0
                  [1.9, 0.1],      # nearer centre 1
                  [1.0, 6.0]])     # nearer centre 2
    labels, ties = teacher_labels(X, C)
    assert ties.tolist() == [True, True, False, False, False]
    assert labels[2:].tolist() == [0, 1, 2]
    assert labels[:2].tolist() == [0, 0]                   # a tie reports the lowest tied index


def test_teacher_three_way_tie_and_tolerance():
    C = np.array([[1.0, 0.0], [-0.5, math.sqrt(3) / 2], [-0.5, -math.sqrt(3) / 2]])
    _, ties = teacher_labels(np.zeros((1, 2)), C)           # the centroid: equal up to rounding
    assert ties[0]
    C2 = np.array([[0.0, 0.0], [2.0, 0.0]])
    x = np.array([[1.001, 0.0]])                            # squared distances differ by 4e-3
    assert not teacher_labels(x, C2, tie_tol=1e-9)[1][0]
    assert teacher_labels(x, C2, tie_tol=1e-2)[1][0]


def test_teacher_matches_seed_professor_on_integer_data():
    X = lecture_points(100, random_state=3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        C = X[rng.choice(100, 4, replace=False)]
        if len(np.unique(C, axis=0)) < 4:
            continue
        labels, ties = teacher_labels(X, C)
        prof = np.array([professor(x, C) for x in X])
        assert np.array_equal(ties, prof == -1)
        assert np.array_equal(labels[~ties], prof[~ties])


def test_lecture_points_are_the_seeds_setting():
    X = lecture_points(100, random_state=1)
    assert X.shape == (100, 2)
    assert np.all(X == np.round(X)) and X.min() >= 1 and X.max() <= 9
    assert np.all(X[:, 0] != X[:, 1])                       # random.sample: two different numbers
    assert len(np.unique(X, axis=0)) < 100                  # 72 possible points: repeats


# --- networks and losses -------------------------------------------------------------------------
def _mlp_numpy(weights, x, n_hidden_layers):
    h = x
    for i in range(0, len(weights), 2):
        h = h @ weights[i] + weights[i + 1]
        if i // 2 < n_hidden_layers:
            h = np.maximum(h, 0.0)
    return h


def test_generator_shape_and_forward_pass():
    G = build_generator(2, 4, seed=1)
    w = G.get_weights()
    assert [a.shape for a in w] == [(2, 32), (32,), (32, 16), (16,), (16, 4), (4,)]
    assert 0.07 < np.std(np.concatenate([w[0].ravel(), w[2].ravel(), w[4].ravel()])) < 0.13
    x = np.random.default_rng(0).normal(size=(7, 2)).astype("float32")
    out = np.asarray(G(x))
    assert out.shape == (7, 4)
    np.testing.assert_allclose(out, _mlp_numpy(w, x, 2), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(build_generator(2, 4, seed=1).get_weights()[0], w[0])


def test_discriminator_shape_and_forward_pass():
    D = build_discriminator(1, seed=2)
    w = D.get_weights()
    assert [a.shape for a in w] == [(1, 64), (64,), (64, 1), (1,)]
    assert np.abs(w[0]).max() <= 1.0 and np.abs(w[2]).max() <= 1 / 8   # U(-1/sqrt(fan_in), +)
    lab = np.array([[0.0], [1.0], [3.0]], dtype="float32")
    np.testing.assert_allclose(np.asarray(D(lab)), _mlp_numpy(w, lab, 1), rtol=1e-5, atol=1e-6)
    assert tuple(build_discriminator(3, seed=0)(np.zeros((5, 3), "float32")).shape) == (5, 1)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_losses_match_the_seeds_formulas():
    rng = np.random.default_rng(4)
    zr, zf = rng.normal(size=(9, 1)) * 2, rng.normal(size=(9, 1)) * 2
    g_ref = np.mean(np.log(1.0 - _sigmoid(zf)))
    d_ref = -np.mean(np.log(_sigmoid(zr)) + np.log(1.0 - _sigmoid(zf)))
    assert float(generator_loss(zf.astype("float32"))) == pytest.approx(g_ref, rel=1e-5)
    assert float(discriminator_loss(zr.astype("float32"), zf.astype("float32"))) == pytest.approx(d_ref, rel=1e-5)
    # at D = 1/2 everywhere: G_loss = log(1/2), D_loss = 2 log 2
    assert float(generator_loss(np.zeros(5, "float32"))) == pytest.approx(-math.log(2), rel=1e-6)
    z = np.zeros(5, "float32")
    assert float(discriminator_loss(z, z)) == pytest.approx(2 * math.log(2), rel=1e-6)
    big = np.array([80.0, -80.0], "float32")                 # sigmoid saturates: still finite
    assert np.isfinite(float(generator_loss(big))) and np.isfinite(float(discriminator_loss(big, big)))


# --- centre update and the hybrid rule --------------------------------------------------------
def test_recompute_centers_against_a_loop():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(30, 3))
    labels = rng.integers(0, 3, 30)                        # cluster 3 stays empty
    old = rng.normal(size=(4, 3))
    new = recompute_centers(X, labels, old)
    for k in range(3):
        np.testing.assert_allclose(new[k], sum(x for x, l in zip(X, labels) if l == k) / np.sum(labels == k))
    np.testing.assert_array_equal(new[3], old[3])


def test_ties_are_decided_by_the_generator():
    # two centres on the diagonal: the four points on the line x + y = 2 tie
    X = np.array([[0.0, 0.0], [2.0, 2.0], [0.0, 2.0], [2.0, 0.0], [-1.0, -1.0], [3.0, 3.0],
                  [-1.0, 3.0], [3.0, -1.0]])
    C0 = np.array([[0.0, 0.0], [2.0, 2.0]])
    prof = np.array([professor(x, C0) for x in X])
    tie = prof == -1
    for seed in range(20):       # a generator whose labels differ from the lowest tied index (0)
        m = GANKMeans(2, init=C0, max_iter=1, generator_gradient="none", random_state=seed).fit(X)
        if np.any(m.generator_labels(X[tie]) != 0):
            break
    assert np.any(m.generator_labels(X[tie]) != 0), "no seed gave a generator that disagrees"
    assert tie.sum() == 4 and m.n_ties_ == 4 and m.generator_used_ == pytest.approx(0.5)
    np.testing.assert_array_equal(m.labels_[~tie], prof[~tie])
    # "none": the generator is never updated, so its labels now are the ones used during fit
    np.testing.assert_array_equal(m.labels_[tie], m.generator_labels(X[tie]))


def test_generator_learns_only_with_straight_through():
    X, _, _ = data.blobs(60, 3, random_state=2)
    kw = dict(n_init=1, patience=1000, learning_rate_g=1e-2, random_state=3)
    w = {(g, it): GANKMeans(3, max_iter=it, generator_gradient=g, **kw).fit(X).generator_.get_weights()[0]
         for g in ("none", "straight-through") for it in (1, 6)}
    np.testing.assert_array_equal(w["none", 1], w["none", 6])
    assert not np.allclose(w["none", 1], w["straight-through", 1])      # same start, one Adam step
    assert not np.allclose(w["straight-through", 1], w["straight-through", 6])


# --- the estimator --------------------------------------------------------------------------
def test_same_seed_same_result_after_another_fit():
    X = lecture_points(100, random_state=0)
    kw = dict(n_init=1, batch_size=16, random_state=7)
    a = GANKMeans(4, **kw).fit(X)
    GANKMeans(4, n_init=1, batch_size=16, random_state=8).fit(X)       # the shared graph is reset between fits
    b = GANKMeans(4, **kw).fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.history_["g_loss"], b.history_["g_loss"])
    np.testing.assert_array_equal(a.history_["d_loss"], b.history_["d_loss"])
    np.testing.assert_array_equal(a.generator_.get_weights()[0], b.generator_.get_weights()[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("batch_size", [None, 25])
def test_agrees_with_lloyd_on_separated_blobs(seed, batch_size):
    X, y, _ = data.blobs(300, 4, cluster_std=0.6, random_state=seed)
    m = GANKMeans(4, n_init=1, batch_size=batch_size, random_state=seed).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = Lloyd(4, init=m.init_centers_, max_iter=100).fit(X)
    assert m.converged_ and m.n_ties_ == 0
    assert adjusted_rand_score(ref.labels_, m.labels_) == 1.0
    assert m.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
    wcss = sum(((X[m.labels_ == k] - X[m.labels_ == k].mean(0)) ** 2).sum() for k in range(4))
    assert m.inertia_ == pytest.approx(wcss, rel=1e-9)
    np.testing.assert_array_equal(m.predict(X), m.labels_)


def test_init_array_is_used():
    X, _, _ = data.blobs(100, 2, random_state=1)
    C0 = X[[3, 50]]
    m = GANKMeans(2, init=C0, random_state=0).fit(X)
    np.testing.assert_array_equal(m.init_centers_, C0)


@pytest.mark.parametrize("kwargs, X, match", [
    ({}, np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0], [5.0, 6.0]]), "NaN"),
    ({}, np.arange(10.0), "2-D"),
    ({"n_clusters": 4}, np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]] * 5), "distinct"),
    ({"init": "best"}, None, "init must be"),
    ({"init": np.zeros((3, 3))}, None, "shape"),
    ({"init": np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])}, None, "not distinct"),
    ({"init": np.array([[0.0, 0.0], [1.0, np.inf], [2.0, 0.0]])}, None, "NaN or infinite"),
    ({"tie_tol": -1.0}, None, "tie_tol"),
    ({"batch_size": 0}, None, "batch_size"),
    ({"max_iter": 0}, None, "max_iter"),
    ({"n_init": 0}, None, "n_init"),
    ({"generator_gradient": "reinforce"}, None, "generator_gradient"),
    ({"learning_rate_g": 0.0}, None, "learning_rate_g"),
])
def test_bad_input_raises(kwargs, X, match):
    if X is None:
        X = data.blobs(50, 3, random_state=0)[0]
    params = {"n_clusters": 3, "random_state": 0, **kwargs}
    with pytest.raises(ValueError, match=match):
        GANKMeans(**params).fit(X)


def test_predict_checks_features():
    X = data.blobs(50, 3, random_state=0)[0]
    m = GANKMeans(3, n_init=1, random_state=0, max_iter=3).fit(X)
    with pytest.raises(ValueError, match="features"):
        m.predict(np.zeros((4, 3)))


# --- several starts --------------------------------------------------------------------------
def _four_blobs(seed):
    return make_blobs(300, centers=4, cluster_std=0.5, center_box=(-10, 10), random_state=seed)


def test_default_n_init_finds_well_separated_blobs_like_sklearn():
    one_start_wrong = 0
    for seed in range(4):
        X, y = _four_blobs(seed)
        ref = KMeans(4, n_init=10, random_state=0).fit(X)
        assert adjusted_rand_score(y, ref.labels_) == 1.0          # the blobs are separable
        m = GANKMeans(4, random_state=seed).fit(X)                 # the default n_init
        assert adjusted_rand_score(ref.labels_, m.labels_) == 1.0
        assert m.inertia_ == pytest.approx(ref.inertia_, rel=1e-9)
        one_start_wrong += adjusted_rand_score(y, GANKMeans(4, n_init=1, random_state=seed).fit(X).labels_) < 1
    assert one_start_wrong >= 1          # one random start is not enough: why n_init matters


def test_n_init_keeps_the_lowest_inertia_and_start_zero_is_n_init_one():
    X, _ = _four_blobs(5)
    m = GANKMeans(4, n_init=4, random_state=3).fit(X)
    one = GANKMeans(4, n_init=1, random_state=3).fit(X)
    assert m.start_inertias_.shape == (4,)
    assert m.inertia_ == m.start_inertias_.min() == m.start_inertias_[m.best_start_]
    assert one.inertia_ == m.start_inertias_[0]                    # the same first draw
    wcss = sum(((X[m.labels_ == k] - X[m.labels_ == k].mean(0)) ** 2).sum() for k in range(4))
    assert m.inertia_ == pytest.approx(wcss, rel=1e-9)
    C0 = X[[0, 1, 2, 3]]
    assert GANKMeans(4, init=C0, n_init=5, random_state=0).fit(X).start_inertias_.shape == (1,)


def test_initial_generator_is_the_untrained_network():
    X, _, _ = data.blobs(80, 3, random_state=4)
    m = GANKMeans(3, n_init=1, learning_rate_g=1e-2, random_state=2, patience=50, max_iter=5).fit(X)
    Xs = (X - X.mean(0)) / X.std(0)
    np.testing.assert_allclose(m.generator_logits(X, initial=True),
                               _mlp_numpy(m.init_generator_weights_, Xs, 2), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.generator_logits(X), _mlp_numpy(m.generator_weights_, Xs, 2),
                               rtol=1e-4, atol=1e-5)
    assert not np.allclose(m.init_generator_weights_[0], m.generator_weights_[0])   # it trained
    frozen = GANKMeans(3, n_init=1, generator_gradient="none", random_state=2, max_iter=5).fit(X)
    np.testing.assert_array_equal(frozen.generator_labels(X, initial=True), frozen.generator_labels(X))
