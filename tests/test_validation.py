import numpy as np
import pytest

from course_utils.validation import check_data, check_labels, check_n_clusters, check_positive, check_proba


def test_check_data_converts_lists_and_keeps_values():
    X = check_data([[1, 2], [3, 4]])
    assert X.dtype == np.float64 and X.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("bad, match", [
    ([[1.0, np.nan]], "NaN"),
    ([[1.0, np.inf]], "infinite"),
    ([1.0, 2.0, 3.0], "2-D.*reshape"),
    (np.zeros((2, 2, 2)), "2-D"),
    ([["a", "b"]], "numeric"),
    (np.zeros((0, 2)), "at least 1"),
    (np.zeros((3, 0)), "0 feature"),
])
def test_check_data_rejects_with_a_message(bad, match):
    with pytest.raises(ValueError, match=match):
        check_data(bad)


def test_check_data_feature_count():
    with pytest.raises(ValueError, match="3 features, but it is expecting 2 features"):
        check_data(np.zeros((4, 3)), n_features=2)


def test_check_n_clusters_bounds():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])  # two distinct points
    assert check_n_clusters(2, X) == 2
    with pytest.raises(ValueError, match="2 distinct points"):
        check_n_clusters(3, X)
    with pytest.raises(ValueError, match="at least 1"):
        check_n_clusters(0)
    with pytest.raises(ValueError, match="at least 2"):
        check_n_clusters(1, minimum=2)
    for bad in (2.5, "3", True, None):
        with pytest.raises(ValueError, match="integer"):
            check_n_clusters(bad)


def test_check_labels():
    assert check_labels([0.0, 1.0, 1.0], 3).dtype.kind == "i"
    with pytest.raises(ValueError, match="one label per row"):
        check_labels([0, 1], 3)
    with pytest.raises(ValueError, match="1-D"):
        check_labels([[0, 1]])
    with pytest.raises(ValueError, match="whole numbers"):
        check_labels([0.5, 1.0])


def test_check_positive_and_proba():
    assert check_positive(2, "a") == 2.0
    assert check_positive(0, "a", strict=False) == 0.0
    for bad in (0, -1, np.nan, "x"):
        with pytest.raises(ValueError):
            check_positive(bad, "a")
    assert check_proba([[0.2, 0.8]]).shape == (1, 2)
    with pytest.raises(ValueError, match="sum to 1"):
        check_proba([[0.2, 0.2]])
    with pytest.raises(ValueError, match="sum to 1"):
        check_proba([[-0.5, 1.5]])


# -- the shared checks that used to be hand-written in many modules (issue 13) ------------------
def test_check_int_bounds_and_refusals():
    from course_utils.validation import check_int

    assert check_int(np.int64(3), "k", minimum=1) == 3 and type(check_int(np.int64(3), "k")) is int
    assert check_int(5, "k", minimum=5, maximum=5) == 5
    for bad, match in [(True, "k must be an integer"), (2.0, "integer"), ("3", "integer"),
                       (0, r"k must be an integer >= 1, got 0\."), (9, r"in \[1, 8\]")]:
        with pytest.raises(ValueError, match=match):
            check_int(bad, "k", minimum=1, maximum=8 if bad == 9 else None)
    with pytest.raises(ValueError, match=r"epochs must be an integer >= 1 \(full-batch steps\), got -2"):
        check_int(-2, "epochs", minimum=1, hint=" (full-batch steps)")


def test_check_n_neighbors_is_between_1_and_n_minus_1():
    from course_utils.validation import check_n_neighbors

    assert check_n_neighbors(9, 10) == 9
    for bad in (0, 10, 3.0, True):
        with pytest.raises(ValueError, match=r"n_neighbors must be an integer in \[1, N-1 = 9\]"):
            check_n_neighbors(bad, 10)


def test_check_random_state_follows_scikit_learn_and_keeps_generator_streams():
    from course_utils.validation import check_random_state

    # generator=False is scikit-learn's check_random_state: an int seeds a RandomState
    assert check_random_state(3).randint(1000) == np.random.RandomState(3).randint(1000)
    rs = np.random.RandomState(0)
    assert check_random_state(rs) is rs
    # generator=True: an int seed gives default_rng(seed) (the same numbers as before issue 13)
    assert check_random_state(7, generator=True).random() == np.random.default_rng(7).random()
    g = np.random.default_rng(1)
    assert check_random_state(g, generator=True) is g
    a = check_random_state(np.random.RandomState(5), generator=True).random()
    b = check_random_state(np.random.RandomState(5), generator=True).random()
    assert a == b                                   # a RandomState seeds the Generator reproducibly
    for bad in (-1, True, "seed", 1.5):
        with pytest.raises(ValueError, match="random_state must be None, a non-negative int"):
            check_random_state(bad, generator=True)


def test_check_fitted_raises_scikit_learns_not_fitted_error():
    from sklearn.base import BaseEstimator
    from sklearn.exceptions import NotFittedError

    from course_utils.validation import check_fitted

    class Est(BaseEstimator):
        def fit(self, X=None):
            return self

    est = Est()
    with pytest.raises(NotFittedError, match="This Est is not fitted yet: call fit"):
        check_fitted(est)
    est.cluster_centers_ = np.zeros((2, 2))
    check_fitted(est)


def test_check_data_refuses_complex_sparse_and_object_data_with_scikit_learns_words():
    from scipy import sparse

    from course_utils.validation import DataTypeError

    with pytest.raises(ValueError, match="Complex data not supported"):
        check_data(np.ones((3, 2)) + 1j)
    with pytest.raises(ValueError, match="sparse input is not supported"):
        check_data(sparse.csr_matrix(np.ones((3, 2))))
    obj = np.ones((3, 2), dtype=object)
    obj[0, 0] = {"a": 1}
    with pytest.raises(TypeError, match="argument must be a string or a real number") as info:
        check_data(obj)
    assert isinstance(info.value, ValueError) and isinstance(info.value, DataTypeError)
    with pytest.raises(ValueError, match="Reshape your data"):
        check_data([1.0, 2.0])
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(3, 0\)\) while a minimum of 1 is required"):
        check_data(np.zeros((3, 0)))
