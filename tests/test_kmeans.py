"""course_utils.estimators.kmeans against R's stats::kmeans and the figures R prints for iris.

The reference values come from R itself: ``tests/fixtures/kmeans/make_fixtures.R`` ran
``kmeans(x, centers, iter.max, algorithm)`` and wrote the labels, sums of squares and iteration
counts to CSV. Nothing expected here is produced by the code under test.
"""
from __future__ import annotations

import csv
import os
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



# --- the compiled (Numba) loops against the Python reference loops ---------------------------
def _needs_kernels() -> None:
    pytest.importorskip("numba")
    if os.environ.get("COURSE_UTILS_NO_NUMBA", "").strip() not in ("", "0"):
        pytest.skip("COURSE_UTILS_NO_NUMBA is set: the Python loops run")


def test_r_fixtures_run_the_compiled_loops():
    """The fixtures above check the code that users run: Numba is pinned, so the kernels are."""
    from course_utils.estimators import _sequential

    _needs_kernels()
    assert _sequential.compiled() is not None, "Numba installed but the kernels are not used"


def _compare_data():
    rng = np.random.default_rng(3)
    grid = rng.integers(0, 4, size=(400, 3)).astype(float)               # exact ties everywhere
    blobs = np.concatenate([rng.normal(loc, 1.0, size=(150, 4)) for loc in (0.0, 2.5, 5.0)])
    near = np.repeat(rng.normal(size=(6, 2)), 40, axis=0) + rng.normal(scale=1e-9, size=(240, 2))
    iris = data.iris()[0]
    out = []
    for X, k in ((grid, 5), (blobs, 4), (near, 5), (iris, 3), (iris, 6)):
        for seed in range(3):
            pool = np.unique(X, axis=0)
            out.append((X, pool[np.random.default_rng(seed).choice(len(pool), k, replace=False)]))
    return out


@pytest.mark.parametrize("cls", [HartiganWong, MacQueen, Lloyd])
def test_compiled_loops_are_the_python_loops_bit_for_bit(cls, monkeypatch):
    """Same labels, the very same doubles in the centres, the same iterations and transfers.

    The Python loops follow R's Fortran and C code operation by operation (and pass the R fixtures
    by themselves); a compiled kernel that reordered a sum or fused a multiply-add would change
    the last bits of some centre here."""
    from course_utils.estimators import _sequential

    _needs_kernels()
    for X, C in _compare_data():
        for max_iter in (1, 2, 50):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                monkeypatch.setattr(_sequential, "USE_COMPILED", True)
                fast = cls(len(C), init=C, max_iter=max_iter).fit(X)
                monkeypatch.setattr(_sequential, "USE_COMPILED", False)
                ref = cls(len(C), init=C, max_iter=max_iter).fit(X)
            np.testing.assert_array_equal(fast.labels_, ref.labels_)
            assert fast.cluster_centers_.tobytes() == ref.cluster_centers_.tobytes()
            assert (fast.n_iter_, fast.converged_) == (ref.n_iter_, ref.converged_)
            assert getattr(fast, "transfers_", None) == getattr(ref, "transfers_", None)


@pytest.mark.parametrize("cls", [MacQueen, Lloyd])
def test_compiled_loops_report_an_empty_cluster_as_the_python_loops(cls, monkeypatch):
    from course_utils.estimators import _sequential

    _needs_kernels()
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    C = np.array([[0.0], [5.4], [10.6]])     # the middle centre: no point (MacQueen), emptied (Lloyd)
    messages = []
    for compiled in (True, False):
        monkeypatch.setattr(_sequential, "USE_COMPILED", compiled)
        with pytest.raises(ValueError, match="empty cluster") as err:
            cls(3, init=C).fit(X)
        messages.append(str(err.value))
    assert messages[0] == messages[1]


def test_compiled_transfer_stages_keep_every_intermediate_double():
    """One optimal-transfer and one quick-transfer stage of AS 136, compiled and in Python, from
    the same state: the running centres (updated in place at every move, never recomputed), the
    stored distances ``d`` and all the bookkeeping must be the same, bit for bit. This sees a
    reordered sum or update even where no label decision changes."""
    from course_utils.estimators import _kmeans_numba as nb
    from course_utils.estimators import _sequential as py

    _needs_kernels()
    assert nb.kernels() is not None           # compiles the helpers used below
    X = np.concatenate([np.random.default_rng(s).normal(s, 1.3, size=(200, 5)) for s in range(4)])
    m, k = X.shape[0], 6
    C0 = X[np.random.default_rng(9).choice(m, k, replace=False)]
    order = np.argsort(py.sqdist_exact(X, C0), axis=1, kind="stable")
    ic1, ic2 = order[:, 0].copy(), order[:, 1].copy()
    nc = np.bincount(ic1, minlength=k)
    c = py._means(X, ic1, k, nc)
    an2 = nc / (nc + 1.0)
    an1 = np.where(nc > 1, nc / np.maximum(nc - 1.0, 1.0), py.BIG)
    state = dict(c=c, ic1=ic1, ic2=ic2, nc=nc, an1=an1, an2=an2, ncp=np.full(k, -1),
                 d=np.zeros(m), itran=np.ones(k, dtype=np.int64), live=np.zeros(k, dtype=np.int64))
    fast = {key: np.array(v) for key, v in state.items()}
    ref = {key: np.array(v).tolist() for key, v in state.items()}
    log_fast, nlog = np.zeros((2 * m, 5), dtype=np.int64), np.zeros(1, dtype=np.int64)
    log_ref: list = []
    indx_fast = nb._optra(X, fast["c"], fast["ic1"], fast["ic2"], fast["nc"], fast["an1"],
                          fast["an2"], fast["ncp"], fast["d"], fast["itran"], fast["live"], 0,
                          log_fast, nlog, 1)
    indx_ref = py._optra(X.tolist(), ref["c"], m, k, ref["ic1"], ref["ic2"], ref["nc"], ref["an1"],
                         ref["an2"], ref["ncp"], ref["d"], ref["itran"], ref["live"], 0, log_ref, 1)
    assert indx_fast == indx_ref and len(log_ref) > 0
    indx_fast, _ = nb._qtran(X, fast["c"], fast["ic1"], fast["ic2"], fast["nc"], fast["an1"],
                             fast["an2"], fast["ncp"], fast["d"], fast["itran"], indx_fast,
                             50 * m, log_fast, nlog, 1)
    indx_ref, _ = py._qtran(X.tolist(), ref["c"], m, ref["ic1"], ref["ic2"], ref["nc"], ref["an1"],
                            ref["an2"], ref["ncp"], ref["d"], ref["itran"], indx_ref, 50 * m,
                            log_ref, 1)
    assert indx_fast == indx_ref
    for key in state:
        want = np.asarray(ref[key], dtype=fast[key].dtype)
        assert fast[key].tobytes() == want.tobytes(), key
    assert nlog[0] <= len(log_fast)
    assert [tuple(r) for r in log_fast[:nlog[0]].tolist()] == [
        (it, ("optimal", "quick").index(st), i, a, b) for it, st, i, a, b in log_ref]


@pytest.mark.parametrize("row", [r for r in SUMMARY if r["algorithm"] == "Lloyd"],
                         ids=lambda r: r["case"])
def test_lloyd_matrix_product_path_is_R_too(row, monkeypatch):
    """The R fixtures are small, so Lloyd runs them as compiled loops; the matrix-product path
    (used from n k p > SMALL_LLOYD on) must give R's labels and iterations on them as well."""
    from course_utils.estimators import kmeans

    monkeypatch.setattr(kmeans, "SMALL_LLOYD", -1)
    est, _ = _fit(row)
    r_labels = np.loadtxt(FIX / f"{row['case']}_labels.csv", delimiter=",", skiprows=1,
                          dtype=int, ndmin=2)[:, list(ESTIMATORS).index("Lloyd")]
    np.testing.assert_array_equal(est.labels_ + 1, r_labels)
    assert est.n_iter_ == int(row["iter"])
    assert est.inertia_ == pytest.approx(float(row["tot_withinss"]), rel=1e-8, abs=1e-12)


def test_compiled_hartigan_wong_keeps_every_transfer_when_its_log_overflows(monkeypatch):
    from course_utils.estimators import _sequential

    _needs_kernels()
    X = np.random.default_rng(4).normal(size=(1500, 3))     # no structure: many transfers
    C = X[:8] + 0.0
    full = HartiganWong(len(C), init=C, max_iter=50).fit(X).transfers_
    monkeypatch.setattr(_sequential, "LOG_ROWS_PER_POINT", 0)   # room for 64: runs again
    again = HartiganWong(len(C), init=C, max_iter=50).fit(X).transfers_
    monkeypatch.setattr(_sequential, "USE_COMPILED", False)
    ref = HartiganWong(len(C), init=C, max_iter=50).fit(X).transfers_
    assert len(ref) > 64 and again == full == ref
