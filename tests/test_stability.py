"""Tests of course_utils.estimators.stability: class matching and the number of classes."""
import numpy as np
import pytest

from course_utils.estimators import stability as st


def test_match_classes_by_hand():
    m = np.array([[1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
                  [0, 0, 1, 1, 1, 1, 1, 1, 1, 1],
                  [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],      # same as row 0
                  [0, 1, 1, 1, 1, 1, 1, 1, 1, 1],      # Jaccard 8/9 with row 1
                  [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]], dtype=bool)
    group, reps = st.match_classes(m, threshold=0.85)
    assert group.tolist() == [0, 1, 0, 1, 2]
    assert reps.shape == (3, 10)
    group, _ = st.match_classes(m, threshold=1.0)
    assert group.tolist() == [0, 1, 0, 2, 3]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_finds_five_classes_in_hierarchical_example(seed):
    X, y = st.make_hierarchical(random_state=seed)
    assert len(np.unique(y)) == 5
    r = st.reproducible_classes(X, range(2, 7), n_runs=100, init="k-means++", random_state=seed)
    assert r.suggested == 5
    # two groups are found in every run, and the five planted classes are frequent at k = 5
    assert r.n_frequent[2] == 2 and r.partition_frequency[2] == 1.0
    planted = [y == c for c in range(5)]
    freq5 = r.frequent(5)
    assert len(freq5) == 5
    for p in planted:
        assert any((p == m).mean() > 0.98 for _, m in freq5)
    # at k = 4 one pair of blobs or the other splits: more frequent classes than at 3 and 5
    assert r.n_frequent[4] > r.n_frequent[5] and r.n_frequent[4] > r.n_frequent[3]


def test_table_and_hierarchy():
    X, _ = st.make_hierarchical(30, random_state=0)
    r = st.reproducible_classes(X, range(2, 6), n_runs=20, random_state=0)
    t = r.table()
    assert list(t.index) == [2, 3, 4, 5]
    assert (t["frequent classes"] == [r.n_frequent[k] for k in range(2, 6)]).all()
    assert any("k=2 -> k=3" in line for line in r.hierarchy())


def test_same_seed_same_result():
    X, _ = st.make_hierarchical(30, random_state=4)
    a = st.reproducible_classes(X, range(2, 5), n_runs=10, random_state=7)
    b = st.reproducible_classes(X, range(2, 5), n_runs=10, random_state=7)
    assert a.n_frequent == b.n_frequent and a.partition_frequency == b.partition_frequency


@pytest.mark.parametrize("kwargs", [dict(k_values=[2, 4]), dict(k_values=[1, 2]), dict(k_values=[]),
                                    dict(n_runs=1), dict(min_frequency=0.0), dict(min_frequency=1.5),
                                    dict(match_threshold=0.0), dict(init="grid")])
def test_bad_parameters(kwargs):
    X, _ = st.make_hierarchical(10)
    with pytest.raises(ValueError):
        st.reproducible_classes(X, **{"n_runs": 3, **kwargs})


def test_bad_data():
    with pytest.raises(ValueError, match="NaN"):
        st.reproducible_classes([[0.0, 1.0], [np.nan, 1.0], [2.0, 2.0], [3.0, 3.0]], [2])
    with pytest.raises(ValueError):
        st.match_classes(np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="not tried"):
        st.reproducible_classes(st.make_hierarchical(10)[0], [2, 3], n_runs=3).frequent(7)


def test_default_starts_from_random_objects_as_the_lecture():
    import inspect
    assert inspect.signature(st.reproducible_classes).parameters["init"].default == "random"
    X, _ = st.make_hierarchical(20)
    a = st.reproducible_classes(X, range(2, 4), n_runs=10, random_state=3)
    b = st.reproducible_classes(X, range(2, 4), n_runs=10, init="random", random_state=3)
    c = st.reproducible_classes(X, range(2, 4), n_runs=10, init="k-means++", random_state=3)
    assert a.table().equals(b.table())
    # the same experiment by hand: DynamicKernels from k random objects, one shared generator
    rng = np.random.default_rng(3)
    from course_utils.estimators.kohonen import DynamicKernels
    runs = [DynamicKernels(2, init="random", random_state=rng).fit(X).labels_ for _ in range(10)]
    assert a.partition_frequency[2] == max(
        sum(np.array_equal(r, q) or np.array_equal(r, 1 - q) for q in runs) for r in runs) / 10
    assert not (a.table().equals(c.table()) and a.n_distinct == c.n_distinct)
