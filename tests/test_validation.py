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
