"""Tests of course_utils.targets.graph_losses: each connectivity loss against an independent NumPy formula."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import pytest
from scipy import sparse as sp

from course_utils.targets import graph_losses as gl


def _value(loss, Y):
    y0 = np.zeros((Y.shape[0], 1), dtype=np.float32)
    return float(keras.ops.convert_to_numpy(keras.ops.mean(loss(y0, Y.astype(np.float32)))))


def _softmax_rows(rng, n, k):
    z = rng.normal(scale=2.0, size=(n, k))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@pytest.fixture
def small():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 2))
    return X, rng


def _knn_sets(X, k):
    d = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return [set(np.argsort(row)[:k]) for row in d]


def test_knn_graph_connectivity_and_snn(small):
    X, _ = small
    k = 4
    nb = _knn_sets(X, k)
    W = gl.knn_graph(X, k, weights="connectivity").toarray()
    for i in range(30):
        for j in range(30):
            assert W[i, j] == (1.0 if (j in nb[i] or i in nb[j]) else 0.0)
    S = gl.knn_graph(X, k, weights="snn").toarray()
    for i, j in [(0, next(iter(nb[0]))), (5, next(iter(nb[5])))]:
        shared = len((nb[i] | {i}) & (nb[j] | {j}))
        assert S[i, j] == pytest.approx((shared / (k + 1)) ** 2)
    assert np.all((S > 0) <= (W > 0))            # SNN weights live on the kNN edges only
    G = gl.knn_graph(X, k, weights="gaussian").toarray()
    for A in (W, S, G):
        np.testing.assert_allclose(A, A.T)
        assert np.all(np.diag(A) == 0) and np.all(A >= 0)


def _ncut_np(W, P, balance):
    d = W.sum(1)
    total = 0.0
    for k in range(P.shape[1]):
        pk = P[:, k]
        vol = float(pk @ d)
        c = float(sum(pk[n] * W[n, m] * (1 - pk[m]) for n in range(len(P)) for m in range(len(P))))
        total += c / vol if vol > 0 else 0.0
    pi = P.mean(0)
    kl = np.log(P.shape[1]) + sum(p * np.log(p) for p in pi if p > 0)
    return total + balance * kl


@pytest.mark.parametrize("balance", [0.0, 1.0])
def test_ncut_loss_formula(small, balance):
    X, rng = small
    W = gl.knn_graph(X, 5)
    P = _softmax_rows(rng, 30, 3)
    assert _value(gl.ncut_loss(W, 3, balance=balance), P) == pytest.approx(_ncut_np(W.toarray(), P, balance), rel=1e-4)
    # dense W gives the same number
    expected = _ncut_np(W.toarray(), P, balance)
    assert _value(gl.ncut_loss(W.toarray(), 3, balance=balance), P) == pytest.approx(expected, rel=1e-4)


def test_ncut_hard_partition_and_empty_cluster(small):
    X, _ = small
    W = gl.knn_graph(X, 5)
    P = np.zeros((30, 3))
    P[:, 0] = 1.0                                  # everything in one cluster, two empty
    v = _value(gl.ncut_loss(W, 3, balance=0.0), P)
    assert np.isfinite(v) and v == pytest.approx(0.0, abs=1e-6)   # the trivial minimum ...
    vb = _value(gl.ncut_loss(W, 3, balance=1.0), P)
    assert vb == pytest.approx(np.log(3), rel=1e-4)                # ... that the balance term punishes


def _spectral_np(W, Y, jitter):
    d = W.sum(1)
    vol = d.sum()
    G = (Y * d[:, None]).T @ Y / vol
    G = G + jitter * np.trace(G) / Y.shape[1] * np.eye(Y.shape[1])
    R = np.linalg.cholesky(G)
    Z = Y @ np.linalg.inv(R).T
    L = np.diag(d) - W
    return np.trace(Z.T @ L @ Z) / vol, Z


def test_spectral_loss_formula_and_orthonormality(small):
    X, rng = small
    W = gl.knn_graph(X, 5)
    Y = rng.normal(size=(30, 3))
    loss = gl.spectral_loss(W, 3, jitter=1e-6)
    ref, Z = _spectral_np(W.toarray(), Y, 1e-6)
    assert _value(loss, Y) == pytest.approx(ref, rel=1e-3)
    d = W.toarray().sum(1)
    np.testing.assert_allclose((Z * d[:, None]).T @ Z / d.sum(), np.eye(3), atol=1e-5)
    Zk = keras.ops.convert_to_numpy(loss.orthonormalize(keras.ops.convert_to_tensor(Y.astype(np.float32))))
    np.testing.assert_allclose(Zk, Z, rtol=1e-3, atol=1e-3)


def test_spectral_loss_minimum_is_the_eigenvalue_sum(small):
    from scipy.linalg import eigh

    X, _ = small
    W = gl.knn_graph(X, 6).toarray()
    d = W.sum(1)
    ev, V = eigh(np.diag(d) - W, np.diag(d))
    loss = gl.spectral_loss(W, 2, jitter=1e-6)
    assert _value(loss, V[:, :2]) == pytest.approx(ev[:2].sum(), abs=1e-4)
    rng = np.random.default_rng(0)
    assert _value(loss, rng.normal(size=(30, 2))) > ev[:2].sum() + 1e-3


def test_spectral_loss_rank_deficient_output_is_finite(small):
    X, _ = small
    W = gl.knn_graph(X, 5)
    assert np.isfinite(_value(gl.spectral_loss(W, 2), np.ones((30, 2))))


def _iic_np(W, P):
    J = P.T @ W @ P / W.sum()
    J = (J + J.T) / 2
    pi = J.sum(1)
    return -sum(J[a, b] * np.log(J[a, b] / (pi[a] * pi[b])) for a in range(len(J)) for b in range(len(J)))


def test_iic_loss_formula_and_empty_cluster(small):
    X, rng = small
    W = gl.knn_graph(X, 5)
    P = _softmax_rows(rng, 30, 3)
    assert _value(gl.iic_loss(W, 3), P) == pytest.approx(_iic_np(W.toarray(), P), rel=1e-3)
    Q = np.zeros((30, 3))
    Q[:, 1] = 1.0
    assert np.isfinite(_value(gl.iic_loss(W, 3), Q))


def test_embedding_labels_separates_components():
    A = np.zeros((20, 20))
    A[:10, :10] = 1
    A[10:, 10:] = 1
    np.fill_diagonal(A, 0)
    W = sp.csr_matrix(A)
    loss = gl.spectral_loss(W, 2)
    Y = np.c_[np.ones(20), np.r_[np.zeros(10), np.ones(10)]] + 0.01
    lab = gl.embedding_labels(loss, Y, 2)
    assert len(set(lab[:10])) == 1 and len(set(lab[10:])) == 1 and lab[0] != lab[-1]


def test_bad_input(small):
    X, _ = small
    with pytest.raises(ValueError, match="n_neighbors"):
        gl.knn_graph(X, 30)
    with pytest.raises(ValueError, match="weights"):
        gl.knn_graph(X, 5, weights="cosine")
    W = gl.knn_graph(X, 5).toarray()
    W[0, :] = W[:, 0] = 0
    with pytest.raises(ValueError, match="isolated"):
        gl.ncut_loss(W, 2)
    with pytest.raises(ValueError, match="square"):
        gl.spectral_loss(np.ones((3, 4)), 2)
    with pytest.raises(ValueError, match="negative"):
        gl.iic_loss(-np.ones((4, 4)), 2)
    with pytest.raises(ValueError, match="n_clusters"):
        gl.ncut_loss(gl.knn_graph(X, 5), 1)
    with pytest.raises(ValueError, match="dim"):
        gl.spectral_loss(gl.knn_graph(X, 5), 0)
    loss = gl.ncut_loss(gl.knn_graph(X, 5), 2)
    with pytest.raises(ValueError, match="expects 2"):
        loss(np.zeros((30, 1)), np.full((30, 3), 1 / 3, dtype=np.float32))


def test_graph_losses_are_importable_from_losses():
    from course_utils.targets import losses
    from course_utils.targets.losses import iic_loss, ncut_loss, spectral_loss

    assert (ncut_loss, spectral_loss, iic_loss) == (gl.ncut_loss, gl.spectral_loss, gl.iic_loss)
    assert losses.knn_graph is gl.knn_graph
    with pytest.raises(AttributeError):
        losses.no_such_loss


@pytest.mark.parametrize("dense", [False, True])
def test_graph_variables_give_the_constant_graphs_values(small, dense):
    # the train-step cache of cluster() holds W in variables: same values as the constants
    # (checked against the NumPy formula), and assign_graph really swaps the graph
    X, rng = small
    W1 = gl.knn_graph(X, 4, weights="snn")
    W2 = gl.knn_graph(rng.normal(size=(30, 2)), 4, weights="snn")
    P = _softmax_rows(rng, 30, 3)
    for make in (lambda W: gl.ncut_loss(W, 3, balance=0.5), lambda W: gl.iic_loss(W, 3),
                 lambda W: gl.spectral_loss(W, 3)):
        bound, other = make(W1), make(W2)
        bound.bind_graph_variables(dense=dense)
        assert _value(bound, P) == pytest.approx(_value(make(W1), P), rel=1e-5, abs=1e-7)
        bound.assign_graph(other)
        assert _value(bound, P) == pytest.approx(_value(other, P), rel=1e-5, abs=1e-7)
    loss = gl.ncut_loss(W1, 3, balance=0.5)
    bound = gl.ncut_loss(W1, 3, balance=0.5)
    bound.bind_graph_variables(dense=dense)
    bound.assign_graph(gl.ncut_loss(W2, 3, balance=0.5))
    assert _value(bound, P) == pytest.approx(_ncut_np(W2.toarray(), P, 0.5), rel=1e-5)
    with pytest.raises(ValueError, match="assign_graph"):
        bound.assign_graph(gl.iic_loss(W2, 3))
    with pytest.raises(ValueError, match="bind_graph_variables"):
        loss.assign_graph(bound)


@pytest.mark.parametrize("form", ["sparse", "dense", "bound"])
def test_a_stack_of_restarts_gives_every_restarts_own_value(small, form):
    # cluster() trains R restarts as one stack (N, R, d): each value must be that restart's own,
    # by the NumPy formulas above; the restarts' sum is what _Restarts trains
    from course_utils.targets.restarts import _Restarts

    X, rng = small
    W = gl.knn_graph(X, 5)
    Wa = W.toarray()
    P = np.stack([_softmax_rows(rng, 30, 3) for _ in range(4)])
    Y = rng.normal(size=(4, 30, 3))
    cases = [(gl.ncut_loss(W if form != "dense" else Wa, 3, balance=0.7), P, lambda p: _ncut_np(Wa, p, 0.7)),
             (gl.iic_loss(W if form != "dense" else Wa, 3), P, lambda p: _iic_np(Wa, p)),
             (gl.spectral_loss(W if form != "dense" else Wa, 3, jitter=1e-6), Y,
              lambda y: _spectral_np(Wa, y, 1e-6)[0])]
    for loss, stack, numpy_value in cases:
        if form == "bound":
            loss.bind_graph_variables(dense=True)
        points_first = np.moveaxis(stack, 0, 1).astype(np.float32)        # (N, R, d)
        got = keras.ops.convert_to_numpy(loss.target(keras.ops.convert_to_tensor(points_first)))
        want = [numpy_value(s) for s in stack]
        assert got.shape == (4,)
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=1e-5)
        side_by_side = np.concatenate(list(stack), axis=1)          # (N, R·d), restart r in block r
        assert _value(_Restarts(loss, 4), side_by_side) == pytest.approx(sum(want), rel=2e-3)
