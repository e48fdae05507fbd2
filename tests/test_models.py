"""Tests of course_utils.targets.models: the sharp softmax layer and the two lecture networks."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras
import numpy as np
import pytest

from course_utils.targets import losses_lecture, models


def _np_softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _call(layer_or_fn, x):
    return keras.ops.convert_to_numpy(layer_or_fn(keras.ops.convert_to_tensor(x.astype(np.float32))))


def test_sharp_softmax_is_softmax_at_A_1_and_softmax_of_Ax():
    x = np.random.default_rng(0).normal(scale=3, size=(50, 4))
    np.testing.assert_allclose(_call(models.SharpSoftmax(1.0), x), _np_softmax(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_call(keras.layers.Softmax(), x), _call(models.SharpSoftmax(1.0), x), atol=1e-6)
    np.testing.assert_allclose(_call(models.SharpSoftmax(3.0), x), _np_softmax(3 * x), rtol=1e-5, atol=1e-7)


def test_sharp_softmax_sharper_with_larger_A_and_no_overflow():
    x = np.array([[0.0, 0.5, 1.0], [1000.0, -1000.0, 999.0]])
    p1, p5 = _call(models.SharpSoftmax(1.0), x), _call(models.SharpSoftmax(5.0), x)
    assert np.all(np.isfinite(p5)) and np.allclose(p5.sum(1), 1.0)
    assert p5[0].max() > p1[0].max()
    # the lecture's global-max softmax agrees on moderate inputs
    x2 = np.random.default_rng(1).normal(size=(20, 3))
    np.testing.assert_allclose(_call(losses_lecture.lecture_softmax(3.0), x2), _np_softmax(3 * x2), rtol=1e-5)


def test_sharp_softmax_config_and_save_load_round_trip(tmp_path):
    model = models.assignment_network(2, 3, hidden=(8, 8), sharpness=2.5, seed=0)
    layer = model.layers[-1]
    assert isinstance(layer, models.SharpSoftmax)
    assert layer.get_config()["sharpness"] == 2.5
    path = tmp_path / "net.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.layers[-1], models.SharpSoftmax)
    assert loaded.layers[-1].sharpness == 2.5
    x = np.random.default_rng(2).normal(size=(10, 2)).astype(np.float32)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(model(x)),
                               rtol=1e-6)


def test_network_shapes_and_seed():
    c = models.centroid_network(2, 3)
    assert c.input_shape == (None, 2) and c.output_shape == (None, 6)
    assert [lay.units for lay in c.layers if isinstance(lay, keras.layers.Dense)] == [30, 6]
    a = models.assignment_network(4, 5, hidden=(20, 20, 20))
    assert a.output_shape == (None, 5)
    x = np.ones((3, 2), np.float32)
    m1, m2 = models.assignment_network(2, 3, seed=7), models.assignment_network(2, 3, seed=7)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(m1(x)), keras.ops.convert_to_numpy(m2(x)))
    p = keras.ops.convert_to_numpy(m1(np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)))
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 2"):
        models.assignment_network(2, 1)
    with pytest.raises(ValueError, match="dim"):
        models.centroid_network(0, 3)
    with pytest.raises(ValueError, match="sharpness"):
        models.SharpSoftmax(0.0)
    with pytest.raises(ValueError, match="hidden"):
        models.assignment_network(2, 3, hidden=())
