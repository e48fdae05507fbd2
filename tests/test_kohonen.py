"""Tests of course_utils.estimators.kohonen: optimal kernels against brute force, fits, errors."""
import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans

from course_utils.estimators import kohonen as kh


@pytest.fixture
def small():
    rng = np.random.default_rng(3)
    return rng.normal([1.0, 2.0, -0.5], [1.0, 0.5, 2.0], size=(25, 3))


# ---------------------------------------------------------------- optimal kernels vs brute force
def test_spatial_kernel_is_the_brute_force_optimum(small):
    f = lambda a: ((small - a) ** 2).sum()
    res = minimize(f, np.zeros(3), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    a = kh.spatial_kernel(small)
    np.testing.assert_allclose(a, res.x, atol=1e-4)
    assert f(a) <= res.fun + 1e-9


def test_spherical_kernel_dense_search_2d():
    rng = np.random.default_rng(0)
    X = rng.normal([2.0, 1.0], 1.5, size=(30, 2))
    theta = np.linspace(0, 2 * np.pi, 400_001)
    U = np.column_stack([np.cos(theta), np.sin(theta)])
    target = -(X @ U.T).sum(axis=0)             # sum over objects of -(x, a) for each unit a
    best = U[np.argmin(target)]
    a = kh.spherical_kernel(X)
    assert np.linalg.norm(a - best) < 1e-4
    assert -(X @ a).sum() <= target.min() + 1e-9


def test_spherical_kernel_scipy_3d(small):
    def f(angles):                                # unit vector from two spherical angles
        th, ph = angles
        a = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
        return -(small @ a).sum()
    best = min((minimize(f, x0, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12})
                for x0 in [(0.5, 0.5), (2.0, 3.0), (1.0, -2.0)]), key=lambda r: r.fun)
    a = kh.spherical_kernel(small)
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-12)
    assert -(small @ a).sum() <= best.fun + 1e-7
    assert abs(-(small @ a).sum() - best.fun) < 1e-6


def _dist2_to_line_2d(X, b, theta):
    # independent formula: squared 2-D cross product with the unit direction
    c = np.array([np.cos(theta), np.sin(theta)])
    Z = X - b
    return ((Z[:, 0] * c[1] - Z[:, 1] * c[0]) ** 2).sum()


def test_linear_kernel_brute_force_2d():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 2)) @ np.array([[2.0, 0.7], [0.0, 0.6]]) + [3.0, -1.0]
    f = lambda p: _dist2_to_line_2d(X, p[:2], p[2])
    best = min((minimize(f, x0, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
                for x0 in [(0, 0, 0.0), (1, 1, 1.5), (3, -1, 2.5), (0, 0, -1.0)]), key=lambda r: r.fun)
    b, c = kh.linear_kernel(X)
    value = _dist2_to_line_2d(X, b, np.arctan2(c[1], c[0]))
    assert value <= best.fun + 1e-7
    assert abs(value - best.fun) < 1e-6
    ang = abs(np.degrees(np.arctan2(c[1], c[0]) - best.x[2])) % 180
    assert min(ang, 180 - ang) < 0.01


def test_linear_kernel_iteration_is_principal_direction(small):
    b, c, n_iter = kh.linear_kernel(small, return_n_iter=True)
    w, V = np.linalg.eigh(np.cov(small.T))
    assert np.isclose(np.linalg.norm(c), 1.0)
    assert abs(abs(c @ V[:, -1]) - 1.0) < 1e-8
    np.testing.assert_allclose(b, small.mean(axis=0))
    assert n_iter > 1


def test_proximity_matches_cdist_and_projection(small):
    A = small[:4] + 0.3
    np.testing.assert_allclose(kh.proximity(small, A, "spatial"), cdist(small, A, "sqeuclidean"), atol=1e-9)
    np.testing.assert_allclose(kh.proximity(small, A, "spherical"), -small @ A.T)
    b, c = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, 2.0]) / 3.0
    P = kh.proximity(small, np.array([[b, c]]), "linear")[:, 0]
    foot = b + np.outer((small - b) @ c, c)      # explicit foot of the perpendicular
    np.testing.assert_allclose(P, ((small - foot) ** 2).sum(1), atol=1e-9)


# ---------------------------------------------------------------- Kohonen step and network
def test_kohonen_step_by_hand():
    A = np.array([[0.0, 0.0], [4.0, 4.0]])
    new = kh.kohonen_step(A, np.array([3.0, 5.0]), 0.5)
    np.testing.assert_allclose(new, [[0.0, 0.0], [3.5, 4.5]])
    H = np.array([[1.0, 0.5], [0.5, 1.0]])
    new = kh.kohonen_step(A, np.array([3.0, 5.0]), 0.5, neighbourhood=H)
    np.testing.assert_allclose(new, [[0.75, 1.25], [3.5, 4.5]])
    np.testing.assert_allclose(A, [[0.0, 0.0], [4.0, 4.0]])   # input left alone


def _blobs(seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    return np.vstack([rng.normal(c, 0.5, size=(60, 2)) for c in centres]), centres


@pytest.mark.parametrize("map_shape", [None, (3,)])
def test_kohonen_network_finds_blob_centres(map_shape):
    X, centres = _blobs()
    net = kh.KohonenNetwork(3, n_epochs=30, map_shape=map_shape, init="first", random_state=0)
    net.fit(np.vstack([X[::60], X]))             # the first objects come from different blobs
    d = cdist(centres, net.cluster_centers_)
    assert d.min(axis=1).max() < 0.3
    assert len(net.kernel_shift_) == 30 and net.n_iter_ == 30
    assert net.kernel_shift_[-1] < net.kernel_shift_[0]


def test_kohonen_spherical_kernels_unit():
    X, _ = kh.make_directions(50)
    net = kh.KohonenNetwork(3, model="spherical", random_state=0).fit(X)
    np.testing.assert_allclose(np.linalg.norm(net.kernels_, axis=1), 1.0)


# ---------------------------------------------------------------- dynamic kernels
def test_dynamic_spatial_equals_lloyd():
    X, _ = _blobs(1)
    init = X[[0, 1, 2]] + 0.1
    ours = kh.DynamicKernels(3, init=init).fit(X)
    km = KMeans(3, init=init, n_init=1, algorithm="lloyd", tol=0).fit(X)
    np.testing.assert_allclose(np.sort(ours.cluster_centers_, 0), np.sort(km.cluster_centers_, 0), atol=1e-8)
    assert np.isclose(ours.inertia_, km.inertia_)


@pytest.mark.parametrize("model", ["spatial", "spherical", "linear"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dynamic_objective_never_increases(model, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, 3)) * [3.0, 1.0, 0.5] + rng.normal(size=3)
    m = kh.DynamicKernels(4, model=model, init="random", random_state=seed).fit(X)
    h = np.asarray(m.objective_history_)
    assert np.all(np.diff(h) <= 1e-9 * max(1.0, np.abs(h).max()))
    assert len(m.kernel_shift_) == m.n_iter_
    P = kh.proximity(X, m.kernels_, model)
    assert np.isclose(m.objective_, P.min(axis=1).sum())
    np.testing.assert_array_equal(m.labels_, m.predict(X))


def test_dynamic_spherical_unit_norm_and_directions():
    X, y = kh.make_directions()
    m = kh.DynamicKernels(3, model="spherical", n_init=5, random_state=0).fit(X)
    np.testing.assert_allclose(np.linalg.norm(m.kernels_, axis=1), 1.0, atol=1e-12)
    found = np.sort(np.degrees(np.arctan2(m.kernels_[:, 1], m.kernels_[:, 0])))
    np.testing.assert_allclose(found, [0.0, 50.0, 100.0], atol=3.0)


def test_linear_model_recovers_planted_lines():
    X, y, C = kh.make_lines(100, noise=0.2, random_state=0)
    m = kh.DynamicKernels(3, model="linear", n_init=10, random_state=0).fit(X)
    cos = np.abs(C @ m.directions_.T)             # planted x found
    errors = np.degrees(np.arccos(np.clip(cos.max(axis=1), 0, 1)))
    assert errors.max() < 2.0
    assert len(set(cos.argmax(axis=1))) == 3       # every planted line has its own kernel


def test_line_angle():
    assert np.isclose(kh.line_angle([1, 0], [0, 2]), 90.0)
    assert np.isclose(kh.line_angle([1, 1], [-1, -1]), 0.0, atol=1e-6)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs", [dict(n_clusters=0), dict(n_clusters=2.5), dict(model="cubic"),
                                    dict(max_iter=0), dict(init="everywhere"), dict(n_init=0),
                                    dict(init=np.zeros((3, 2)))])
def test_dynamic_bad_parameters(kwargs):
    X, _ = _blobs()
    kwargs = {"n_clusters": 2, **kwargs}
    with pytest.raises(ValueError):
        kh.DynamicKernels(**kwargs).fit(X)


def test_bad_data_and_models():
    with pytest.raises(ValueError, match="NaN"):
        kh.DynamicKernels(2).fit([[0.0, 1.0], [np.nan, 2.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="2-D"):
        kh.DynamicKernels(2).fit(np.arange(5.0))
    with pytest.raises(ValueError, match="distinct"):
        kh.DynamicKernels(3).fit([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="not points"):
        kh.KohonenNetwork(2, model="linear").fit(_blobs()[0])
    with pytest.raises(ValueError, match="map_shape"):
        kh.KohonenNetwork(4, map_shape=(3, 2)).fit(_blobs()[0])
    with pytest.raises(ValueError, match="learning_rate"):
        kh.KohonenNetwork(2, learning_rate=1.5).fit(_blobs()[0])
    with pytest.raises(ValueError, match="zero"):
        kh.DynamicKernels(2, model="spherical").fit([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="zero vector"):
        kh.spherical_kernel([[1.0, 0.0], [-1.0, 0.0]])
    with pytest.raises(ValueError, match="not fitted"):
        kh.DynamicKernels(2).predict([[0.0, 0.0]])
    with pytest.raises(ValueError, match="features"):
        kh.DynamicKernels(2).fit(_blobs()[0]).predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        kh.proximity(np.zeros((3, 2)), np.zeros((2, 2)), "linear")
