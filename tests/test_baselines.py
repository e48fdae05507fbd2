"""Tests of course_utils.targets.baselines (lecture 05's fair baselines) and of how exercise 05 treats targets."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np
import pytest
from keras import ops
from scipy import sparse as sp
from sklearn.metrics import adjusted_rand_score as ari

from course_utils import data
from course_utils.instructor.scoring import score_target
from course_utils.targets import baselines
from course_utils.targets.assignment import evaluate_target, make_graph


def test_auto_neighbors_is_15_at_500_and_grows_like_sqrt_n():
    assert baselines.auto_neighbors(500) == 15
    assert baselines.auto_neighbors(2000) == 30            # 15 * sqrt(4)
    assert baselines.auto_neighbors(10_000) == 67          # 15 * sqrt(20) = 67.08
    assert baselines.auto_neighbors(8) == 7                # never more than N - 1


def test_course_graph_is_symmetric_and_has_k_neighbours_per_point():
    X, _ = data.moons(200, random_state=0)
    W = baselines.course_graph(X, 10)
    assert abs(W - W.T).max() < 1e-12 and W.diagonal().sum() == 0
    assert np.all(np.diff(W.indptr) >= 10)                 # each point keeps at least its 10 neighbours
    assert baselines.course_graph(X).shape == (200, 200)


def test_kmeans_merge_finds_separated_blobs_and_moons():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [20, 0], [0, 20]])
    X = np.vstack([c + rng.normal(size=(60, 2)) for c in centres])
    y = np.repeat([0, 1, 2], 60)
    labels, score, seg = baselines.kmeans_merge(X, 3, seed=0)
    assert ari(y, labels) == 1.0 and len(np.unique(seg)) == 12 and np.isfinite(score)
    Xm, ym = data.moons(500, noise=0.1, random_state=0)
    assert ari(ym, baselines.kmeans_merge(Xm, 2, seed=0)[0]) > 0.9


def test_mixed_fraction_by_hand():
    y = np.array([0, 0, 1, 1])
    seg = np.array([0, 0, 0, 1])                           # segment 0 holds points of both classes
    assert baselines.mixed_fraction(y, seg) == 0.75
    W = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], float))
    assert baselines.mixed_fraction(y, seg, W) == 0.0       # no edge joins point 2 to points 0, 1
    assert baselines.unmergeable_fraction(y, seg) == 0.25   # one of the 3 points of segment 0 is misplaced
    assert baselines.unmergeable_fraction(y, seg, W) == 0.0
    assert baselines.unmergeable_fraction(np.array([0, 1, 2, 0]), np.zeros(4, int)) == 0.5


def test_match_labels_renames_only():
    ref = np.array([0, 0, 1, 1, 2, 2])
    lab = np.array([2, 2, 0, 0, 1, 1])
    assert np.array_equal(baselines.match_labels(ref, lab), ref)
    extra = baselines.match_labels(np.array([0, 0, 1, 1]), np.array([5, 7, 9, 9]))
    assert ari([0, 0, 1, 1], extra) == ari([0, 0, 1, 1], [5, 7, 9, 9]) and len(set(extra)) == 3


@pytest.mark.parametrize("call,match", [
    (lambda: baselines.kmeans_merge(np.zeros((20, 2)) + np.arange(20)[:, None], 2, oversegment=1), "oversegment"),
    (lambda: baselines.kmeans_merge(data.moons(50)[0], 2, W=sp.eye(10, format="csr")), "graph"),
    (lambda: baselines.course_graph(data.moons(50)[0], "many"), "n_neighbors"),
    (lambda: baselines.auto_neighbors(2), "n_samples"),
])
def test_bad_input_is_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _soft(n, k, seed):
    z = np.random.default_rng(seed).normal(size=(n, k))
    return (np.exp(z) / np.exp(z).sum(1, keepdims=True)).astype(np.float32)


def test_evaluate_target_gives_the_gradient_of_a_keras_target():
    g = make_graph(data.moons(40, random_state=1)[0], n_neighbors=5)
    Wd = g.W_host.toarray()
    P = _soft(40, 2, 0)
    value, grad = evaluate_target(lambda P, graph: ops.sum(P * ops.matmul(graph.W, P)), P, g)
    assert np.isclose(value, np.sum(P * (Wd @ P)), rtol=1e-5)
    assert np.allclose(grad, 2 * Wd @ P, rtol=1e-4, atol=1e-5)   # d/dP of tr(Pᵀ W P), W symmetric


@pytest.mark.parametrize("fn", [
    lambda P, graph: float(np.sum(np.asarray(graph.X))) * ops.sum(P),      # reads the data on the host
    lambda P, graph: ops.sum(P) * float(graph.W_host.sum()),               # the host copy is not there
])
def test_evaluate_target_refuses_host_computations(fn):
    g = make_graph(data.moons(40, random_state=1)[0], n_neighbors=5)
    with pytest.raises(Exception):
        evaluate_target(fn, _soft(40, 2, 0), g)


def test_a_target_tied_to_the_order_of_the_points_scores_zero():
    X, y = data.moons(120, random_state=2)
    T = np.eye(2, dtype=np.float32)[y]
    s = score_target(lambda P, graph: ops.sum((P - T) ** 2), X, y, max_points=2)
    assert s.points == 0 and "order" in s.message, s.message
