"""Tests of course_utils.targets.losses: every target function against a plain NumPy formula."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import pytest
from scipy import sparse as sp

from course_utils.targets import losses, losses_lecture


def _softmax_rows(rng, n, k, scale=2.0):
    z = rng.normal(scale=scale, size=(n, k))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _value(loss, P):
    y0 = np.zeros((P.shape[0], 1), dtype=np.float32)
    return float(keras.ops.convert_to_numpy(keras.ops.mean(loss(y0, P.astype(np.float32)))))


@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)) * 1.5
    return X, rng


# --- distances and kernels ----------------------------------------------------------------
def test_squared_distances_matches_loops(small):
    X, _ = small
    d = losses.squared_distances(X)
    for i in range(0, 40, 7):
        for j in range(0, 40, 5):
            assert d[i, j] == pytest.approx(sum((X[i] - X[j]) ** 2), rel=1e-9, abs=1e-9)
    assert np.all(np.diag(d) == 0)


def test_lecture_broadcast_distance_matrix_is_the_same_number(small):
    X, _ = small
    md = keras.ops.convert_to_numpy(losses_lecture.lecture_distance_matrix(X))
    np.testing.assert_allclose(md, losses.squared_distances(X), atol=1e-9)


def test_kernels_formulas():
    d = np.array([0.0, 0.01, 0.1, 1.0, 4.0])
    np.testing.assert_allclose(losses.rational(d, a=0.01), [1.0, 0.5, 0.01 / 0.11, 0.01 / 1.01, 0.01 / 4.01])
    np.testing.assert_allclose(losses.gaussian(d, beta=10), [1.0, np.e ** -0.1, np.e ** -1, np.e ** -10, np.e ** -40])
    np.testing.assert_array_equal(losses.threshold(d, t=0.1), [1, 1, 1, 0, 0])


def test_nearness_matrix_dense_and_eye(small):
    X, _ = small
    M = losses.nearness_matrix(X, "gaussian", beta=0.5)
    i, j = 3, 17
    assert M[i, j] == pytest.approx(np.exp(-0.5 * ((X[i] - X[j]) ** 2).sum()))
    np.testing.assert_allclose(M, M.T)
    np.testing.assert_array_equal(losses.nearness_matrix(X, "eye"), np.eye(40))


def test_sparse_knn_nearness(small):
    X, _ = small
    dense = losses.nearness_matrix(X, "rational", a=0.1)
    full = losses.nearness_matrix(X, "rational", a=0.1, n_neighbors=39)
    assert sp.issparse(full)
    np.testing.assert_allclose(full.toarray(), dense, atol=1e-12)
    M = losses.nearness_matrix(X, "rational", a=0.1, n_neighbors=5)
    A = M.toarray()
    np.testing.assert_allclose(A, A.T)
    np.testing.assert_allclose(np.diag(A), 1.0)
    assert 40 * 6 <= M.nnz <= 40 * 11
    # each point keeps at least its 5 nearest neighbours, with the dense values
    order = np.argsort(losses.squared_distances(X)[0])[1:6]
    np.testing.assert_allclose(A[0, order], dense[0, order])


# --- the losses against NumPy formulas ----------------------------------------------------
def test_centroid_loss_formula(small):
    X, rng = small
    K = 3
    Y = rng.normal(size=(40, 2 * K))
    C = Y.mean(0).reshape(K, 2)
    expected = np.mean([min(((x - c) ** 2).sum() for c in C) for x in X])
    assert _value(losses.centroid_loss(X, K), Y) == pytest.approx(expected, rel=1e-5)
    lecture = losses_lecture.lecture_centroid_loss(X, K)
    assert _value(lecture, Y) == pytest.approx(expected, rel=1e-5)


def _numpy_proximity(M, P):           # lecture 000, written with explicit sums
    N = len(P)
    C = np.array([[P[n] @ P[m] for m in range(N)] for n in range(N)])
    return -np.mean([(M[n] * C[n]).sum() / C[n].sum() for n in range(N)])


def _numpy_normalized(M, P):          # lecture 001, written with explicit sums
    K = P.shape[1]
    return -sum(sum(P[n, k] * P[m, k] * M[n, m] for n in range(len(P)) for m in range(len(P)))
                / P[:, k].sum() for k in range(K))


@pytest.mark.parametrize("kernel,params", [("rational", {"a": 0.1}), ("gaussian", {"beta": 1.0}),
                                           ("threshold", {"t": 1.0}), ("eye", {})])
def test_proximity_losses_dense_sparse_lecture_agree(small, kernel, params):
    X, rng = small
    P = _softmax_rows(rng, 40, 3)
    M = losses.nearness_matrix(X, kernel, **params)
    Ms = losses.nearness_matrix(X, kernel, n_neighbors=39, **params)
    ref0, ref1 = _numpy_proximity(M, P), _numpy_normalized(M, P)
    for nm in (M, Ms):
        assert _value(losses.proximity_loss(nm, 3), P) == pytest.approx(ref0, rel=1e-4)
        assert _value(losses.normalized_proximity_loss(nm, 3), P) == pytest.approx(ref1, rel=1e-4)
    assert _value(losses_lecture.lecture_proximity_loss(M, 3), P) == pytest.approx(ref0, rel=1e-4)
    assert _value(losses_lecture.lecture_normalized_proximity_loss(M, 3), P) == pytest.approx(ref1, rel=1e-4)


def test_sparse_knn_loss_matches_numpy_on_the_sparse_matrix(small):
    X, rng = small
    P = _softmax_rows(rng, 40, 4)
    Ms = losses.nearness_matrix(X, "rational", a=0.5, n_neighbors=4)
    ref = _numpy_normalized(Ms.toarray(), P)
    assert _value(losses.normalized_proximity_loss(Ms, 4), P) == pytest.approx(ref, rel=1e-4)


def test_hard_partition_values():
    # M = I: any hard partition into K non-empty clusters gives -K (normalised form), uniform gives -1
    P = np.eye(3)[np.arange(30) % 3]
    assert _value(losses.normalized_proximity_loss(np.eye(30), 3), P) == pytest.approx(-3.0)
    assert _value(losses.normalized_proximity_loss(np.eye(30), 3), np.full((30, 3), 1 / 3)) == pytest.approx(-1.0)


def test_empty_cluster_gives_finite_loss_and_gradient(small):
    import tensorflow as tf

    X, rng = small
    P = _softmax_rows(rng, 40, 3)
    P[:, 2] = 0.0
    P /= P.sum(1, keepdims=True)
    M = losses.nearness_matrix(X, "rational", a=0.1)
    for make in (losses.proximity_loss, losses.normalized_proximity_loss):
        for nm in (M, sp.csr_matrix(M)):
            loss = make(nm, 3)
            Pt = tf.Variable(P.astype(np.float32))
            with tf.GradientTape() as tape:
                v = loss(tf.zeros((40, 1)), Pt)
            g = tape.gradient(v, Pt).numpy()
            assert np.isfinite(float(v)) and np.all(np.isfinite(g))
    # the empty cluster contributes nothing: same value as the 2-cluster loss
    two = _value(losses.normalized_proximity_loss(M, 2), P[:, :2])
    assert _value(losses.normalized_proximity_loss(M, 3), P) == pytest.approx(two, rel=1e-5)


# --- bad input ----------------------------------------------------------------------------
def test_bad_input_messages(small):
    X, _ = small
    M = losses.nearness_matrix(X, "rational")
    with pytest.raises(ValueError, match="at least 2"):
        losses.proximity_loss(M, 1)
    with pytest.raises(ValueError, match="at least 2"):
        losses.normalized_proximity_loss(M, 1)
    with pytest.raises(ValueError, match="square"):
        losses.normalized_proximity_loss(M[:, :10], 3)
    with pytest.raises(ValueError, match="square"):
        losses.proximity_loss(np.ones(5), 3)
    with pytest.raises(ValueError, match="negative"):
        losses.normalized_proximity_loss(-losses.squared_distances(X), 3)
    with pytest.raises(ValueError, match="negative"):
        losses.normalized_proximity_loss(sp.csr_matrix(-np.eye(40)), 3)
    bad = M.copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        losses.proximity_loss(bad, 3)
    Xn = X.copy()
    Xn[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        losses.centroid_loss(Xn, 3)
    with pytest.raises(ValueError, match="NaN"):
        losses.nearness_matrix(Xn)
    with pytest.raises(ValueError, match="unknown kernel"):
        losses.nearness_matrix(X, "cosine")
    with pytest.raises(ValueError, match="n_neighbors"):
        losses.nearness_matrix(X, n_neighbors=40)


def test_loss_rejects_output_of_the_wrong_shape(small):
    X, rng = small
    loss = losses.normalized_proximity_loss(losses.nearness_matrix(X), 3)
    with pytest.raises(ValueError, match="expects 3"):
        _value(loss, _softmax_rows(rng, 40, 4))
    with pytest.raises(ValueError, match="whole data set"):
        _value(loss, _softmax_rows(rng, 30, 3))
    with pytest.raises(ValueError, match="expects 6"):
        _value(losses.centroid_loss(X, 3), rng.normal(size=(40, 4)))
