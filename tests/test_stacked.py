"""The restarts in one layer (course_utils.targets.stacked) are the separate networks, only faster.

The reference is the plain construction the course teaches: R Keras networks side by side
(``restarts._parallel``), each ``assignment_network`` / ``embedding_network`` behind its own
``FourierFeatures`` layer. Same seeds must give the same outputs, the same gradients, and after
Adam steps the same weights (each restart its own Adam state).
"""
import keras
import numpy as np
import pytest
from keras import ops

from course_utils.targets.models import _with_fourier, assignment_network, embedding_network
from course_utils.targets.restarts import _parallel
from course_utils.targets.stacked import StackedRestarts, stacked_network

SEEDS = [3 + 1009 * r for r in range(3)]


def _separate(dim, out, hidden, fourier, output, sharpness=1.0):
    if output == "softmax":
        body = (lambda d, s: assignment_network(d, out, hidden, sharpness, seed=s))
    else:
        body = (lambda d, s: embedding_network(d, out, hidden, seed=s))
    return _parallel(lambda s: _with_fourier(body, dim, fourier, s), dim, SEEDS)


@pytest.mark.parametrize("fourier,output,hidden", [(1.0, "softmax", (16, 8)), (1.0, "linear", (16,)),
                                                   (0.0, "softmax", (8, 8, 8))])
def test_same_outputs_and_gradients_as_separate_networks(fourier, output, hidden):
    X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    sep = _separate(3, 4, hidden, fourier, output)
    st = stacked_network(3, 4, hidden, SEEDS, fourier=fourier, output=output)
    a, b = ops.convert_to_numpy(sep(X)), ops.convert_to_numpy(st(X))
    assert a.shape == b.shape == (40, 3 * 4)
    np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    if output == "softmax":                                   # every restart's block sums to 1
        np.testing.assert_allclose(b.reshape(40, 3, 4).sum(-1), 1.0, rtol=1e-5)

    import tensorflow as tf
    weights = np.random.default_rng(1).normal(size=(40, 12)).astype("float32")

    def grads(model):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(X) * weights)
        return [ops.convert_to_numpy(g) for g in tape.gradient(loss, model.trainable_variables)]
    g_sep, g_st = grads(sep), grads(st)           # stacked: kernel_0, bias_0, kernel_1, ...
    # the separate networks list restart 0's kernels and biases, then restart 1's, ...
    n_layers = len(hidden) + 1
    for i in range(n_layers):
        for r in range(len(SEEDS)):
            for j in (0, 1):                                  # kernel, bias
                np.testing.assert_allclose(g_st[2 * i + j][r], g_sep[2 * n_layers * r + 2 * i + j],
                                           rtol=1e-5, atol=1e-6)


def test_training_matches_separate_restarts():
    """Adam on the stacked weights = Adam on each restart's own weights (per-element updates)."""
    X = np.random.default_rng(2).normal(size=(60, 2)).astype("float32")
    sep = _separate(2, 3, (8,), 1.0, "softmax")
    st = stacked_network(2, 3, (8,), SEEDS, fourier=1.0)
    target = np.random.default_rng(3).random((60, 9)).astype("float32")
    for m in (sep, st):
        m.compile(keras.optimizers.Adam(0.05), loss=lambda y, p: ops.sum((p - y) ** 2))
        m.fit(X, target, batch_size=60, epochs=20, verbose=0, shuffle=False)
    np.testing.assert_allclose(ops.convert_to_numpy(st(X)), ops.convert_to_numpy(sep(X)), rtol=1e-4, atol=1e-5)


def test_bad_arguments_say_what_to_fix():
    with pytest.raises(ValueError, match="one seed per restart"):
        StackedRestarts(2, (4,), [])
    with pytest.raises(ValueError, match="softmax"):
        StackedRestarts(2, (4,), [0], output="sigmoid")
    with pytest.raises(ValueError, match="hidden"):
        StackedRestarts(2, (), [0])
