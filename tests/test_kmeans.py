"""course_utils.estimators.kmeans against R's stats::kmeans and the figures R prints for iris.

The reference values come from R itself: ``tests/fixtures/kmeans/make_fixtures.R`` ran
``kmeans(x, centers, iter.max, algorithm)`` and wrote the labels, sums of squares and iteration
counts to CSV. Nothing expected here is produced by the code under test.
"""
from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from course_utils import data, metrics
from course_utils.estimators.kmeans import HartiganWong, Lloyd, MacQueen, nearest_center, restarts, transfer_change

FIX = Path(__file__).parent / "fixtures" / "kmeans"
ESTIMATORS = {"Hartigan-Wong": HartiganWong, "Lloyd": Lloyd, "MacQueen": MacQueen}
SEED_CENTERS = np.array([[6, 4, 5, 3], [5, 3, 1, 0], [6, 2, 4, 2]], dtype=float)


def _read_matrix(name: str) -> np.ndarray:
    return np.loadtxt(FIX / name, delimiter=",", skiprows=1, ndmin=2)


def _rows(name: str) -> list[dict[str, str]]:
    with open(FIX / name, newline="") as fh:
        return list(csv.DictReader(fh))


def _data(name: str) -> np.ndarray:
    return data.iris()[0] if name == "iris" else _read_matrix(f"{name}_data.csv")


SUMMARY = _rows("summary.csv")


def _fit(row):
    X = _data(row["data"])
    C = _read_matrix(f"{row['case']}_centers.csv")
    est = ESTIMATORS[row["algorithm"]](len(C), init=C, max_iter=int(row["iter_max"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X), X


def test_fixture_iris_is_sklearn_iris():
    assert np.array_equal(_read_matrix("iris_data.csv"), data.iris()[0])


def test_fixtures_cover_every_algorithm():
    assert len(SUMMARY) >= 27
    assert {r["algorithm"] for r in SUMMARY} == set(ESTIMATORS)
    assert any(r["ifault"] == "2" for r in SUMMARY)           # a run R stopped at iter.max


@pytest.mark.parametrize("row", SUMMARY, ids=[f"{r['case']}-{r['algorithm']}" for r in SUMMARY])
def test_same_as_R(row):
    est, X = _fit(row)
    r_labels = np.loadtxt(FIX / f"{row['case']}_labels.csv", delimiter=",", skiprows=1,
                          dtype=int, ndmin=2)[:, list(ESTIMATORS).index(row["algorithm"])]
    np.testing.assert_array_equal(est.labels_ + 1, r_labels)
    assert est.inertia_ == pytest.approx(float(row["tot_withinss"]), rel=1e-8, abs=1e-12)
    assert est.n_iter_ == int(row["iter"])
    assert est.converged_ == (row["ifault"] == "0")
    np.testing.assert_array_equal(est.size_, [int(s) for s in row["size"].split(";")])
    np.testing.assert_allclose(est.withinss_, [float(s) for s in row["withinss"].split(";")],
                               rtol=1e-8, atol=1e-10)
    assert est.total_ss_ == pytest.approx(float(row["totss"]), rel=1e-12)
    assert est.between_ss_ == pytest.approx(float(row["betweenss"]), rel=1e-8)


def test_not_converged_warns_like_R():
    row = next(r for r in SUMMARY if r["case"] == "gauss_iter2" and r["algorithm"] == "Lloyd")
    X = _data("gauss")
    C = _read_matrix("gauss_iter2_centers.csv")
    with pytest.warns(ConvergenceWarning, match="did not converge in 2 iterations"):
        est = Lloyd(len(C), init=C, max_iter=2).fit(X)
    assert est.n_iter_ == int(row["iter"]) == 3


# ---- the public figures (R's printout for iris, k = 3) ---------------------------------------
@pytest.mark.parametrize("cls", [Lloyd, MacQueen, HartiganWong])
def test_iris_seed_centres_reproduce_R_printout(cls):
    X, _ = data.iris()
    est = cls(3, init=SEED_CENTERS).fit(X)
    order = np.argsort(est.withinss_)
    np.testing.assert_array_equal(est.size_[order], [50, 38, 62])
    np.testing.assert_allclose(est.withinss_[order], [15.151, 23.879, 39.821], atol=5e-4)
    assert est.inertia_ == pytest.approx(78.85144, abs=5e-6)
    assert round(100 * est.between_ss_ / est.total_ss_, 1) == 88.4
    assert sorted(est.size_) == [38, 50, 62]
    ss = metrics.sums_of_squares(X, est.labels_)
    assert ss["tot_withinss"] == pytest.approx(est.inertia_, rel=1e-12)
    assert ss["totss"] == pytest.approx(est.total_ss_, rel=1e-12)
    assert "88.4 %" in est.summary()


def test_iris_rows_1_3_hartigan_beats_lloyd_and_macqueen():
    X, _ = data.iris()
    C = X[:3]
    lloyd = Lloyd(3, init=C, max_iter=100).fit(X)
    macq = MacQueen(3, init=C, max_iter=100).fit(X)
    hw = HartiganWong(3, init=C, max_iter=100).fit(X)
    assert lloyd.inertia_ == pytest.approx(78.85567, abs=5e-6)
    assert macq.inertia_ == pytest.approx(78.85567, abs=5e-6)
    assert hw.inertia_ == pytest.approx(78.85144, abs=5e-6)
    moved = np.flatnonzero(hw.labels_ != macq.labels_)
    # R's labels are 1-based: iris row 51 is index 50; only that point differs
    np.testing.assert_array_equal(moved, [50])
    assert any(t[2] == 50 for t in hw.transfers_)


def test_random_init_reaches_R_optimum_with_restarts():
    X, _ = data.iris()
    est = HartiganWong(3, n_init=10, random_state=0).fit(X)
    assert est.inertia_ == pytest.approx(78.85144, abs=5e-6)
    assert sorted(est.size_) == [38, 50, 62]
    pp = Lloyd(3, init="k-means++", n_init=5, max_iter=100, random_state=1).fit(X)
    assert pp.inertia_ < 80


# ---- scikit-learn compatibility ----------------------------------------------------------------
def test_sklearn_api_and_lloyd_matches_sklearn():
    from sklearn.cluster import KMeans

    X, _, _ = data.blobs(400, 4)
    C = X[[0, 100, 200, 300]]
    ours = Lloyd(4, init=C, max_iter=100)
    assert clone(ours).get_params()["n_clusters"] == 4
    labels = ours.fit_predict(X)
    np.testing.assert_array_equal(labels, ours.labels_)
    np.testing.assert_array_equal(ours.predict(X), ours.labels_)
    sk = KMeans(4, init=C, n_init=1, algorithm="lloyd", max_iter=100, tol=0).fit(X)
    np.testing.assert_array_equal(ours.labels_, sk.labels_)
    assert ours.inertia_ == pytest.approx(sk.inertia_, rel=1e-10)
    np.testing.assert_allclose(ours.cluster_centers_, sk.cluster_centers_, rtol=1e-10)


def test_predict_ties_go_to_lowest_index():
    C = np.array([[0.0, 0.0], [2.0, 0.0]])
    assert nearest_center([[1.0, 0.0], [1.0, 5.0], [1.5, 0.0]], C).tolist() == [0, 0, 1]


def test_hartigan_never_empties_a_singleton():
    X = np.vstack([data.blobs(100, 2)[0], [[50.0, 50.0]]])
    hw = HartiganWong(3, init=X[[0, 1, 100]], max_iter=50).fit(X)
    assert hw.size_.min() >= 1 and hw.labels_[100] == 2 and hw.size_[2] == 1


def test_transfer_change_is_the_change_of_wcss():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    labels = np.array([0] * 5 + [1] * 7)
    before = metrics.sums_of_squares(X, labels)["tot_withinss"]
    moved = labels.copy()
    moved[2] = 1
    after = metrics.sums_of_squares(X, moved)["tot_withinss"]
    delta = transfer_change(X[2], X[labels == 0].mean(0), 5, X[labels == 1].mean(0), 7)
    assert delta == pytest.approx(after - before, rel=1e-10)
    with pytest.raises(ValueError, match="n_from"):
        transfer_change(X[2], X[0], 1, X[1], 3)


def test_restarts_distribution():
    X, _ = data.iris()
    wss = restarts(HartiganWong(3), X, 30, random_state=0)
    assert wss.shape == (30,) and np.nanmin(wss) == pytest.approx(78.85144, abs=5e-6)
    np.testing.assert_array_equal(wss, restarts(HartiganWong(3), X, 30, random_state=0))


# ---- bad input: clear ValueErrors, never a NaN centre ------------------------------------------
ERRORS = _rows("errors.csv")


@pytest.mark.parametrize("cls", [Lloyd, MacQueen, HartiganWong])
def test_empty_initial_cluster_is_an_error(cls):
    X, _ = data.iris()
    far = _read_matrix("iris_far_centers.csv")
    r_msg = next(e["message"] for e in ERRORS if e["case"] == "iris_far")
    with pytest.raises(ValueError, match=r_msg.split(":")[0]):
        cls(3, init=far).fit(X)


@pytest.mark.parametrize("cls", [Lloyd, MacQueen, HartiganWong])
def test_duplicate_initial_centres(cls):
    X, _ = data.iris()
    r_msg = next(e["message"] for e in ERRORS if e["case"] == "iris_dup")
    with pytest.raises(ValueError, match=r_msg):
        cls(3, init=X[[0, 0, 59]]).fit(X)


def test_hartigan_needs_fewer_centres_than_points():
    X = data.iris()[0][:3]
    assert next(e for e in ERRORS if e["case"] == "tiny_k_eq_n")["message"].startswith("number of")
    with pytest.raises(ValueError, match="number of cluster centres"):
        HartiganWong(3, init=X).fit(X)


@pytest.mark.parametrize("cls", [Lloyd, MacQueen, HartiganWong])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf(cls, bad):
    X = data.iris()[0].copy()
    X[5, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        cls(3).fit(X)
    with pytest.raises(ValueError, match="NaN or infinite"):
        cls(3, init=np.array([[1.0, 2, 3, 4], [1, 2, 3, bad], [5, 5, 5, 5]])).fit(data.iris()[0])


@pytest.mark.parametrize("cls", [Lloyd, MacQueen, HartiganWong])
def test_init_of_wrong_shape(cls):
    X, _ = data.iris()
    with pytest.raises(ValueError, match="shape"):
        cls(3, init=X[:3, :2]).fit(X)
    with pytest.raises(ValueError, match="shape"):
        cls(3, init=X[:4]).fit(X)
    with pytest.raises(ValueError, match="init must be"):
        cls(3, init="forgy").fit(X)


@pytest.mark.parametrize("cls", [Lloyd, MacQueen, HartiganWong])
def test_more_clusters_than_distinct_points(cls):
    X = np.repeat([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]], 5, axis=0)
    with pytest.raises(ValueError, match="distinct points"):
        cls(4).fit(X)
    with pytest.raises(ValueError, match="at least 1"):
        cls(0).fit(X)
    with pytest.raises(ValueError, match="max_iter"):
        cls(2, max_iter=0).fit(X)


def test_lloyd_cluster_emptied_during_iterations_is_an_error():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    with pytest.raises(ValueError, match="empty cluster"):
        Lloyd(3, init=np.array([[0.0], [5.4], [10.6]])).fit(X)


def test_hartigan_with_one_cluster_runs_macqueen_as_R():
    X, _ = data.iris()
    hw = HartiganWong(1, init=X[:1]).fit(X)
    assert hw.size_.tolist() == [150] and hw.inertia_ == pytest.approx(hw.total_ss_, rel=1e-12)


@pytest.mark.parametrize("n", [2_000, 40_000, 400_000])      # bincount, one matrix, threads
def test_cluster_sums_are_taken_in_point_order(n):
    from course_utils.estimators._lloyd_steps import InOrderSums

    rng = np.random.default_rng(5)
    X = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-3, 4, size=(n, 1))
    sums = InOrderSums(X, 7)
    for seed in (0, 1):                      # the same object, reused with new labels
        labels = np.random.default_rng(seed).integers(0, 7, size=n)
        ref = np.zeros((7, 3))
        for j in range(3):                   # a plain running sum per cluster, as R's loop
            ref[:, j] = [np.cumsum(X[labels == c, j])[-1] for c in range(7)]
        np.testing.assert_array_equal(sums(labels), ref)


def _exact_nearest(X, C):
    """R's decision: distances summed column by column, the first minimum."""
    D = np.zeros((X.shape[0], C.shape[0]))
    for j in range(X.shape[1]):
        D += (X[:, j, None] - C[None, :, j]) ** 2
    return D.argmin(axis=1)


@pytest.mark.parametrize("case", ["grid ties", "near ties", "far from origin", "far apart",
                                  "tiny", "huge", "many centres"])
def test_nearest_centre_is_r_decision_despite_single_precision_filter(case):
    rng = np.random.default_rng(11)
    if case == "grid ties":                  # integer data: many exact ties between centres
        X = rng.integers(0, 6, size=(30_000, 4)).astype(float)
        C = rng.permutation(np.unique(X, axis=0))[:12]
    elif case == "near ties":                # midpoints moved by 1e-9: float32 cannot tell
        C = rng.normal(size=(10, 5))
        i, j = rng.integers(0, 10, size=(2, 30_000))
        X = (C[i] + C[j]) / 2 + rng.normal(scale=1e-9, size=(30_000, 5))
    elif case == "far from origin":          # spread 1 at distance 1e4: the filter decides little
        X = 1e4 + rng.normal(size=(30_000, 3))
        C = X[:8] + 0.0
    elif case == "far apart":                # spread 1, groups 2e4 apart: single precision decides
        X = rng.normal(size=(30_000, 3)) + np.where(rng.random((30_000, 1)) < 0.5, -1e4, 1e4)
        C = X[:8] + 0.0                      # little; the double-precision filter takes over
    elif case == "tiny":
        X = rng.normal(size=(30_000, 3)) * 1e-14
        C = X[:6] + 0.0
    elif case == "huge":
        X = rng.normal(size=(30_000, 3)) * 1e17
        C = X[:6] + 0.0
    else:                                    # k >= 256: wider index codes
        X = rng.normal(size=(20_000, 3))
        C = X[:300] + 0.0
    np.testing.assert_array_equal(nearest_center(X, C), _exact_nearest(X, C))

