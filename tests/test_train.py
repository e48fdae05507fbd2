"""Tests of course_utils.targets.train: fast full-batch training that keeps the lecture's meaning."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from course_utils.targets import losses, models, train


@pytest.fixture(scope="module")
def blobs300():
    X, y = make_blobs(300, centers=3, n_features=2, center_box=(-10, 10), random_state=0)
    return X, y


def test_centroid_network_reaches_kmeans_inertia(blobs300):
    X, _ = blobs300
    keras.utils.set_random_seed(0)
    net = models.centroid_network(2, 3, seed=0)
    hist = train.fit_clustering(net, X, losses.centroid_loss(X, 3), epochs=300)
    assert len(hist.history["loss"]) == 300
    C = train.predict_centers(net, X, 3)
    km = KMeans(3, n_init=10, random_state=0).fit(X)
    # independent inertia: loops over points
    own = sum(min(((x - c) ** 2).sum() for c in C) for x in X)
    assert train.inertia(X, C) == pytest.approx(own, rel=1e-9)
    assert own <= 1.02 * km.inertia_
    # the last recorded loss is the mean squared distance to the nearest centre (before the last step)
    assert hist.history["loss"][-1] == pytest.approx(own / len(X), rel=0.02)
    labels = train.predict_labels(net, X, centers=C)
    assert np.array_equal(labels, np.argmin(((X[:, None, :] - C[None]) ** 2).sum(-1), axis=1))


def test_recorded_steps_match_block_means_and_first_value(blobs300):
    X, _ = blobs300
    Xs = X[:60]
    M = losses.nearness_matrix(Xs, "rational", a=0.5)
    net = models.assignment_network(2, 3, hidden=(10,), seed=1)
    P0 = keras.ops.convert_to_numpy(net(Xs.astype(np.float32)))
    hist = train.fit_clustering(net, Xs, losses.normalized_proximity_loss(M, 3), epochs=40,
                                steps_per_execution=10, snapshots=(0, 20))
    steps = np.array(hist.history["loss"])
    assert hist.params["block"] == 10 and steps.size == 40
    np.testing.assert_allclose(steps.reshape(4, 10).mean(1), hist.history["block_loss"], rtol=1e-4)
    # the first step sees the untrained network, in the data's row order (no shuffling)
    expected = -sum(P0[:, k] @ M @ P0[:, k] / P0[:, k].sum() for k in range(3))
    assert steps[0] == pytest.approx(expected, rel=1e-4)
    np.testing.assert_allclose(hist.snapshots[0], P0, rtol=1e-5)
    assert set(hist.snapshots) == {0, 20}


def test_early_stopping_on_the_loss(blobs300):
    X, _ = blobs300
    net = models.centroid_network(2, 3, seed=0)
    hist = train.fit_clustering(net, X, losses.centroid_loss(X, 3), epochs=1000, patience=20, min_delta=1e6,
                                steps_per_execution=10)
    assert len(hist.history["loss"]) < 1000
    assert hist.params["epochs_run"] == len(hist.history["loss"])


def test_sparse_nearness_trains(blobs300):
    X, y = blobs300
    M = losses.nearness_matrix(X, "rational", a=1.0, n_neighbors=10)
    net = models.assignment_network(2, 3, seed=0)
    hist = train.fit_clustering(net, X, losses.normalized_proximity_loss(M, 3), epochs=200)
    loss = np.array(hist.history["loss"])
    assert np.all(np.isfinite(loss)) and loss[-1] < loss[0]
    assert train.predict_memberships(net, X).shape == (300, 3)


def test_bad_input(blobs300):
    X, _ = blobs300
    net = models.assignment_network(2, 3, seed=0)
    M = losses.nearness_matrix(X[:50])
    with pytest.raises(ValueError, match="features"):
        train.fit_clustering(net, np.c_[X, X[:, :1]], losses.centroid_loss(X, 3), epochs=2)
    with pytest.raises(ValueError, match="n_clusters"):
        train.fit_clustering(net, X[:50], losses.normalized_proximity_loss(M, 4), epochs=2)
    with pytest.raises(ValueError, match="50 points"):
        train.fit_clustering(net, X, losses.normalized_proximity_loss(M, 3), epochs=2)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train.fit_clustering(net, Xn, losses.centroid_loss(X, 1), epochs=2)
    with pytest.raises(ValueError, match="epochs"):
        train.fit_clustering(net, X[:50], losses.normalized_proximity_loss(M, 3), epochs=0)
    cnet = models.centroid_network(2, 3, seed=0)
    with pytest.raises(ValueError, match="centers="):
        train.predict_labels(cnet, X)
    with pytest.raises(ValueError, match="n_clusters"):
        train.predict_centers(cnet, X, 2)


def test_refit_without_recompiling_equals_a_fresh_fit(blobs300):
    # recompile=False keeps the traced train step but must restart the optimizer from scratch:
    # the second fit from the same initial weights lands on the same weights as the first
    X, _ = blobs300
    Xs = X[:60]
    M = losses.nearness_matrix(Xs, "rational", a=0.5)
    loss = losses.normalized_proximity_loss(M, 3)
    net = models.assignment_network(2, 3, hidden=(10,), seed=1)
    w0 = net.get_weights()
    train.fit_clustering(net, Xs, loss, epochs=40, learning_rate=0.05, record_steps=False)
    w1, fn = net.get_weights(), net.train_function
    net.set_weights(w0)
    train.fit_clustering(net, Xs, loss, epochs=40, learning_rate=0.05, record_steps=False, recompile=False)
    assert net.train_function is fn                       # not recompiled, not retraced
    assert int(keras.ops.convert_to_numpy(net.optimizer.iterations)) == 40
    for a, b in zip(w1, net.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert not np.allclose(w0[0], w1[0])                  # it did train
    # another epoch count (another block) or recorded steps: compiled afresh
    net.set_weights(w0)
    train.fit_clustering(net, Xs, loss, epochs=30, learning_rate=0.05, recompile=False)
    assert net.train_function is not fn
