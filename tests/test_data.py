import numpy as np
import pytest
from sklearn import datasets

from course_utils import data


def test_blobs_are_the_lectures_blobs():
    X, y, c = data.blobs()
    X0, y0, c0 = datasets.make_blobs(n_samples=300, centers=3, n_features=2, center_box=(-10, 10),
                                     random_state=0, return_centers=True)
    assert np.array_equal(X, X0) and np.array_equal(y, y0) and np.array_equal(c, c0)
    X5, _, c5 = data.blobs(500, box=15)
    assert X5.shape == (500, 2) and np.all(np.abs(c5) <= 15)


def test_moons_and_circles_defaults_match_lecture():
    X, y = data.moons()
    Xr, yr = datasets.make_moons(500, noise=0.1, random_state=0)
    assert np.array_equal(X, Xr) and np.array_equal(y, yr)
    Xc, yc = data.circles()
    inner = np.linalg.norm(Xc[yc == 1], axis=1).mean()
    outer = np.linalg.norm(Xc[yc == 0], axis=1).mean()
    assert 0.1 < inner / outer < 0.35  # factor 0.2 plus noise


def test_iris_is_r_iris():
    X, y = data.iris()
    assert X.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    assert np.allclose(X[0], [5.1, 3.5, 1.4, 0.2])           # R: iris[1, 1:4]
    assert np.isclose(X[:, 0].mean(), 5.843333, atol=1e-6)   # R: mean(iris$Sepal.Length)


def test_image_pixels_range_and_shape():
    P, (h, w) = data.image_pixels(scale=8)
    assert P.shape == (h * w, 3) and P.min() >= 0 and P.max() <= 1
    full = datasets.load_sample_image("china.jpg")
    assert (h, w) == full[::8, ::8].shape[:2]


def test_standardize():
    rng = np.random.default_rng(0)
    X = rng.normal(3, 5, size=(100, 3))
    X[:, 2] = 7.0  # constant column stays finite
    Z, m, s = data.standardize(X, return_params=True)
    assert np.allclose(Z[:, :2].mean(0), 0) and np.allclose(Z[:, :2].std(0), 1)
    assert np.all(Z[:, 2] == 0)
    assert np.allclose(Z * s + m, X)


@pytest.mark.parametrize("call, match", [
    (lambda: data.blobs(1), "n_samples"),
    (lambda: data.blobs(10, 11), "n_clusters"),
    (lambda: data.blobs(box=-1), "box"),
    (lambda: data.moons(noise=-0.1), "noise"),
    (lambda: data.circles(factor=1.5), "factor"),
    (lambda: data.image_pixels("cat.png"), "china.jpg"),
    (lambda: data.image_pixels(scale=0), "scale"),
    (lambda: data.standardize([[np.nan, 1.0]]), "NaN"),
])
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
