"""fit_clustering(shuffle=...) reproduces Keras' shuffling of the one full batch (lecture 03's trap)."""
import keras
import numpy as np
import pytest
from keras import ops

from course_utils.targets import train


def _order_probe(n=20):
    """A fixed model that returns column 0 of its input, and a loss that is 0 iff rows come in order."""
    X = np.c_[np.arange(n, dtype=float), np.zeros(n)]
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant([[1.0], [0.0]]))])
    ref = ops.convert_to_tensor(X[:, 0].astype("float32"))

    def out_of_place(y_true, y_pred):
        return ops.mean(ops.abs(y_pred[:, 0] - ref))
    return X, model, out_of_place


def test_without_shuffle_every_step_sees_the_data_order():
    X, model, loss = _order_probe()
    h = train.fit_clustering(model, X, loss, epochs=20, optimizer=keras.optimizers.SGD(0.0))
    assert np.allclose(h.history["loss"], 0.0)


def test_shuffle_gives_each_step_a_fresh_seeded_permutation():
    X, model, loss = _order_probe()
    h = train.fit_clustering(model, X, loss, epochs=20, optimizer=keras.optimizers.SGD(0.0), shuffle=3)
    v = np.asarray(h.history["loss"])
    assert v.size == 20 and np.all(v > 0)                 # rows out of place at every step
    assert len(np.unique(np.round(v, 5))) > 5             # a different permutation per step
    # the mean |pi(i) - i| of the permutations that the seed draws (numpy's Generator, one per step)
    rng = np.random.default_rng(3)
    expected = [np.mean(np.abs(rng.permutation(20) - np.arange(20))) for _ in range(20)]
    assert np.allclose(v, expected, atol=1e-5)
    h2 = train.fit_clustering(model, X, loss, epochs=20, optimizer=keras.optimizers.SGD(0.0), shuffle=3)
    assert np.allclose(h2.history["loss"], v)


def test_bad_shuffle_is_a_clear_error():
    X, model, loss = _order_probe()
    with pytest.raises(ValueError, match="shuffle"):
        train.fit_clustering(model, X, loss, epochs=2, shuffle=-1)
    with pytest.raises(ValueError, match="shuffle"):
        train.fit_clustering(model, X, loss, epochs=2, shuffle="yes")
