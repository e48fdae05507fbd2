"""Tests of course_utils.targets.segments: over-segment, then merge by the same target function."""
import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
from scipy import sparse as sp
from sklearn.metrics import adjusted_rand_score as ari

from course_utils import data
from course_utils.targets import graph_losses as gl
from course_utils.targets import segments as sg
from course_utils.targets.clustering import fit_cluster


def _loss_value(loss, P):
    y0 = np.zeros((P.shape[0], 1), dtype=np.float32)
    return float(keras.ops.convert_to_numpy(keras.ops.mean(loss(y0, P.astype(np.float32)))))


def _chain(n, offset=0):
    """Edges of a path offset, offset+1, ..., offset+n-1."""
    return [(offset + i, offset + i + 1) for i in range(n - 1)]


def _graph(n, edges, weight=1.0):
    r, c = np.array(edges).T
    W = sp.coo_matrix((np.full(len(r), weight), (r, c)), shape=(n, n))
    return (W + W.T).tocsr()


@pytest.fixture
def two_chains():
    """Two paths of 20 points each, joined by one weak edge (weight 0.01)."""
    W = _graph(40, _chain(20) + _chain(20, 20))
    W = (W + _graph(40, [(19, 20)], 0.01)).tocsr()
    return W, np.repeat([0, 1], 20)


def test_scores_equal_the_keras_losses_on_hard_memberships():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    W = gl.knn_graph(X, 6)
    labels = rng.integers(0, 3, size=60)
    P = np.eye(3)[labels]
    B, sizes = sg.segment_graph(W, labels)
    Wd = W.toarray()
    np.testing.assert_allclose(B, P.T @ Wd @ P)              # B = Hᵀ W H, by definition
    np.testing.assert_array_equal(sizes, np.bincount(labels))
    for balance in (0.0, 1.0):
        assert sg.ncut_score(B, sizes, balance) == pytest.approx(
            _loss_value(gl.ncut_loss(W, 3, balance=balance), P), rel=1e-5)
    assert sg.iic_score(B, sizes) == pytest.approx(_loss_value(gl.iic_loss(W, 3), P), rel=1e-4)


def test_split_components_separates_unconnected_parts_of_a_segment():
    W = _graph(9, _chain(3) + _chain(3, 3) + _chain(3, 6))   # three separate paths
    segments = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])          # segment 0 holds two paths
    pieces = sg.split_components(W, segments)
    assert len(np.unique(pieces)) == 3
    assert len(set(pieces[:3])) == len(set(pieces[3:6])) == len(set(pieces[6:])) == 1
    assert len({pieces[0], pieces[3], pieces[6]}) == 3


def test_merge_finds_the_best_grouping(two_chains):
    W, truth = two_chains
    segments = np.arange(40) // 5                            # 8 segments of 5 points, in order
    labels, value = sg.merge_segments(W, segments, 2)
    assert ari(truth, labels) == 1.0
    # brute force over all groupings of the 8 segments: nothing scores lower
    B, sizes = sg.segment_graph(W, segments)
    best = np.inf
    for rest in itertools.product(range(2), repeat=7):
        M = np.eye(2)[np.array((0, *rest))]
        if M.sum(0).min() == 0:
            continue
        best = min(best, sg.ncut_score(M.T @ B @ M, sizes @ M))
    assert value == pytest.approx(best)


def test_merge_with_too_few_segments_says_what_to_do(two_chains):
    W, _ = two_chains
    with pytest.raises(ValueError, match="over-segment"):
        sg.merge_segments(W, np.zeros(40, dtype=int), 2)     # one connected segment for 2 clusters


# --- the objectives through cluster(): the local minimum escaped ----------------------------
def test_ncut_trained_directly_stops_in_a_poor_local_minimum_and_oversegmenting_escapes():
    X, y = data.moons(500, noise=0.1, random_state=1)
    direct = fit_cluster(X, 2, "ncut", seed=1, oversegment=1)
    merged = fit_cluster(X, 2, "ncut", seed=1)
    assert ari(y, direct.labels) < 0.7
    assert ari(y, merged.labels) >= 0.98


@pytest.mark.parametrize("noise,factor", [(0.1, 0.2), (0.05, 0.5)])
def test_ncut_separates_both_circles(noise, factor):
    X, y = data.circles(500, noise=noise, factor=factor, random_state=2)
    assert ari(y, fit_cluster(X, 2, "ncut", seed=2).labels) == pytest.approx(1.0)
