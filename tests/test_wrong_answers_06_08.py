"""Wrong answers to the exercises of lectures 06-08, graded by the course's own grader: each scores 0.

Every answer here "works" in the sense that it returns the right numbers on easy inputs, but it
does not do what the task asks: it calls the package (or scikit-learn) that computes the result,
replaces the lecture's iteration by an eigenvector routine, keeps the seed's mistake, or computes a
label without a gradient. The tasks must not be passable this way. Each submission packs several
wrong answers (one per task) next to correct ones, so a correct answer in the same notebook shows
that the notebook ran and the zero is the test's verdict, not a crash.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import autograde

ROOT = Path(__file__).resolve().parent.parent
L06, L07, L08 = "06_kohonen.ipynb", "07_lloyd_vs_hartigan.ipynb", "08_gan_kmeans.ipynb"


def _meta(c):
    return c.metadata.get("nbgrader", {})


def _answer(name, gid):
    cell = next(c for c in nbformat.read(ROOT / "solutions" / name, 4).cells if _meta(c).get("grade_id") == gid)
    return "\n".join(line for line in cell.source.splitlines() if "### " not in line)


def _student(name, answers):
    """The student copy with every answer cell correct except those in ``answers``."""
    nb = copy.deepcopy(nbformat.read(ROOT / "exercises" / name, 4))
    for c in nb.cells:
        gid = _meta(c).get("grade_id")
        if _meta(c).get("solution") and c.cell_type == "code":
            c.source = answers.get(gid, _answer(name, gid))
    return nb


# --- lecture 06 -----------------------------------------------------------------------------------
SPHERICAL_BY_PACKAGE = """from course_utils.estimators.kohonen import spherical_kernel as _sk
def spherical_kernel(X):
    return _sk(np.asarray(X, dtype=float))
"""
KOHONEN_BY_PACKAGE = """from course_utils.estimators.kohonen import kohonen_step
def kohonen_update(kernels, x, eta):
    return kohonen_step(np.asarray(kernels, dtype=float), np.asarray(x, dtype=float), eta)
"""
LINE_BY_EIGH = """def line_kernel(X, c0, n_iter=100):
    X = np.asarray(X, dtype=float)
    w, V = np.linalg.eigh(np.cov(X.T))        # the limit, without the lecture's iteration
    return X.mean(axis=0), V[:, -1]
"""
LINE_BY_PACKAGE = """from course_utils.estimators.kohonen import linear_kernel
def line_kernel(X, c0, n_iter=100):
    return linear_kernel(np.asarray(X, dtype=float), np.asarray(c0, dtype=float))
"""
CLASSES_BY_LABEL_NUMBER = """def class_frequencies(runs):
    # takes the label number for the class: wrong when another run numbers the classes differently
    first = np.asarray(runs[0])
    out = {}
    for k in np.unique(first):
        members = frozenset(np.flatnonzero(first == k).tolist())
        out[members] = np.mean([frozenset(np.flatnonzero(np.asarray(r) == k).tolist()) == members for r in runs])
    return out
"""
CLASSES_BY_PACKAGE = """from course_utils.estimators.stability import match_classes
def class_frequencies(runs):
    members = np.array([np.asarray(r) == k for r in runs for k in np.unique(r)])
    group, reps = match_classes(members, 0.999)
    counts = np.bincount(group)
    return {frozenset(np.flatnonzero(reps[g]).tolist()): counts[g] / len(runs) for g in range(len(reps))}
"""

# --- lecture 07 -----------------------------------------------------------------------------------
WCSS_BY_PACKAGE = """from course_utils import metrics
def wcss(X, labels):
    return metrics.sums_of_squares(np.asarray(X, dtype=float), np.asarray(labels))["tot_withinss"]
"""
KOHONEN_BY_DOT = """def kohonen_update(kernels, x, eta):   # winner by the largest dot product, not the nearest
    new = np.asarray(kernels, dtype=float).copy()
    x = np.asarray(x, dtype=float)
    w = np.argmax(new @ x)
    new[w] += eta * (x - new[w])
    return new
"""
WCSS_BY_CALINSKI = """from sklearn.metrics import calinski_harabasz_score
def wcss(X, labels):   # CH = (B / (k - 1)) / (W / (n - k)) and B = T - W: solve for W
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    n, k = len(X), len(np.unique(labels))
    T = ((X - X.mean(0)) ** 2).sum()
    if k == 1:
        return float(T)
    ch = calinski_harabasz_score(X, labels)
    return float(T / (1 + ch * (k - 1) / (n - k)))
"""
DELTA_BY_PACKAGE = """from course_utils.estimators.kmeans import transfer_change
def transfer_delta(x, mu_from, n_from, mu_to, n_to):
    if n_from < 2:
        raise ValueError("alone in its cluster")
    return float(transfer_change(x, mu_from, n_from, mu_to, n_to))
"""
LLOYD_BY_PACKAGE = """import warnings
from course_utils.estimators.kmeans import Lloyd
def lloyd_step(X, C):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = Lloyd(len(C), init=np.asarray(C, dtype=float), max_iter=1).fit(np.asarray(X, dtype=float))
    return one.labels_, one.cluster_centers_
"""
# scikit-learn's max_iter=1 is not one Lloyd step from the seed's centres (centres differ by 0.03)
LLOYD_BY_SKLEARN = """import warnings
from sklearn.cluster import KMeans
def lloyd_step(X, C):
    X, C = np.asarray(X, dtype=float), np.asarray(C, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(len(C), init=C, n_init=1, max_iter=1, algorithm="lloyd").fit(X)
    labels = ((X[:, None] - C[None]) ** 2).sum(-1).argmin(1)
    return labels, km.cluster_centers_
"""
MOVES_BY_PACKAGE = """from course_utils.estimators.kmeans import transfer_change as _tc
def hartigan_moves(X, labels):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    ids = np.unique(labels)
    out = []
    for i, x in enumerate(X):
        n = labels[i]
        if np.sum(labels == n) < 2:
            continue
        if any(_tc(x, X[labels == n].mean(0), np.sum(labels == n), X[labels == m].mean(0), np.sum(labels == m)) < 0
               for m in ids if m != n):
            out.append(i)
    return np.array(out, dtype=int)
"""
STOP_AS_THE_SEED = """def should_stop(gains):
    return bool(np.all(np.asarray(gains, dtype=float) > 0))   # the seed's sentence, taken literally
"""

# --- lecture 08 -----------------------------------------------------------------------------------
TEACHER_BY_PACKAGE = """from course_utils.estimators.gan_kmeans import teacher_labels
def teacher(X, C, tol=1e-9):
    lab, tie = teacher_labels(X, C, tie_tol=tol)
    return np.where(tie, -1, lab)
"""
DLOSS_BY_PACKAGE = """from course_utils.estimators.gan_kmeans import discriminator_loss
def used_labels(t, g):
    return np.where(t == -1, g, t)

def d_loss(z_real, z_fake):
    return float(discriminator_loss(np.ravel(z_real), np.ravel(z_fake)))
"""
CENTRES_BY_PACKAGE = """from course_utils.estimators.gan_kmeans import recompute_centers
def new_centres(X, labels, old):
    return recompute_centers(X, labels, old)
"""
LABEL_BY_ARGMAX = """def straight_through_label(logits):
    return ops.cast(ops.argmax(logits, axis=-1), "float32")     # the seed's label: no gradient
"""
LABEL_IN_NUMPY = """def straight_through_label(logits):
    return np.argmax(np.asarray(logits), axis=-1).astype("float32")
"""
LABEL_SOFT_ONLY = """def straight_through_label(logits):
    k = ops.shape(logits)[-1]
    return ops.sum(ops.softmax(logits, axis=-1) * ops.arange(k, dtype="float32"), axis=-1)
"""

# student -> (notebook, wrong answers by answer cell, expected points by test cell)
CORPUS = {
    "w06_package_and_eigh": (L06, {"spherical_kernel": SPHERICAL_BY_PACKAGE, "kohonen_update": KOHONEN_BY_PACKAGE,
                                   "line_kernel": LINE_BY_EIGH, "class_frequencies": CLASSES_BY_LABEL_NUMBER},
                             {"test_spherical_kernel": 0, "test_kohonen_update": 0, "test_line_kernel": 0,
                              "test_class_frequencies": 0}),
    "w06_package_line": (L06, {"line_kernel": LINE_BY_PACKAGE, "class_frequencies": CLASSES_BY_PACKAGE,
                               "kohonen_update": KOHONEN_BY_DOT},
                         {"test_spherical_kernel": 2, "test_kohonen_update": 0, "test_line_kernel": 0,
                          "test_class_frequencies": 0}),
    "w07_package": (L07, {"wcss": WCSS_BY_PACKAGE, "transfer_delta": DELTA_BY_PACKAGE, "lloyd_step": LLOYD_BY_PACKAGE,
                          "hartigan_moves": MOVES_BY_PACKAGE, "should_stop": STOP_AS_THE_SEED},
                    {"test_wcss": 0, "test_transfer_delta": 0, "test_lloyd_step": 0, "test_hartigan_moves": 0,
                     "test_should_stop": 0}),
    "w07_sklearn": (L07, {"lloyd_step": LLOYD_BY_SKLEARN, "wcss": WCSS_BY_CALINSKI},
                    {"test_wcss": 0, "test_transfer_delta": 3, "test_lloyd_step": 0, "test_hartigan_moves": 3,
                     "test_should_stop": 2}),
    "w08_package_argmax": (L08, {"teacher": TEACHER_BY_PACKAGE, "dloss": DLOSS_BY_PACKAGE,
                                 "centres": CENTRES_BY_PACKAGE, "straight_through": LABEL_BY_ARGMAX},
                           {"test_teacher": 0, "test_dloss": 0, "test_centres": 0, "test_straight_through": 0}),
    "w08_numpy_label": (L08, {"straight_through": LABEL_IN_NUMPY},
                        {"test_teacher": 3, "test_dloss": 3, "test_centres": 3, "test_straight_through": 0}),
    "w08_soft_label": (L08, {"straight_through": LABEL_SOFT_ONLY}, {"test_straight_through": 0}),
    "x07_correct": (L07, {}, {"test_wcss": 2, "test_transfer_delta": 3, "test_lloyd_step": 2,
                              "test_hartigan_moves": 3, "test_should_stop": 2}),
    "x08_correct": (L08, {}, {"test_teacher": 3, "test_dloss": 3, "test_centres": 3, "test_straight_through": 3}),
}


OWN = "write it yourself"           # the hidden tests' verdict on an answer that calls the package
# why each wrong answer fails: a piece of the grader's status, so a zero from a crash would show
REASONS = {
    ("w06_package_and_eigh", "test_spherical_kernel"): OWN, ("w06_package_and_eigh", "test_kohonen_update"): OWN,
    ("w06_package_and_eigh", "test_line_kernel"): "a hidden test",   # its n_iter=1 check is hidden: only that it failed is shown
    ("w06_package_and_eigh", "test_class_frequencies"): "whatever its number",
    ("w06_package_line", "test_line_kernel"): OWN, ("w06_package_line", "test_kohonen_update"): "a hidden test", ("w06_package_line", "test_class_frequencies"): OWN,
    ("w07_package", "test_wcss"): OWN, ("w07_package", "test_transfer_delta"): OWN,
    ("w07_package", "test_lloyd_step"): OWN, ("w07_package", "test_hartigan_moves"): OWN,
    ("w07_package", "test_should_stop"): "no move lowers the cost",
    ("w07_sklearn", "test_lloyd_step"): "AssertionError",   # fails the visible check (and the trace would catch it)
    ("w07_sklearn", "test_wcss"): OWN,
    ("w08_package_argmax", "test_teacher"): OWN, ("w08_package_argmax", "test_dloss"): OWN,
    ("w08_package_argmax", "test_centres"): OWN, ("w08_package_argmax", "test_straight_through"): "no gradient",
    ("w08_numpy_label", "test_straight_through"): "no gradient",
    ("w08_soft_label", "test_straight_through"): "argmax label",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("wrong_answers")
    for student, (name, answers, _) in CORPUS.items():
        (subs / student).mkdir()
        nbformat.write(_student(name, answers), subs / student / name)
    limits = autograde.Limits(cell_timeout=120, notebook_timeout=500, memory_mb=2500)
    out = tmp_path_factory.mktemp("wrong_answers_out") / "grades.csv"
    rows = autograde.grade_folder(subs, out=out, limits=limits, jobs=2)
    return {(r.student, r.task): r for r in rows}


@pytest.mark.parametrize("student", sorted(CORPUS))
def test_each_wrong_answer_scores_zero_and_the_rest_full(graded, student):
    _, _, expected = CORPUS[student]
    for task, points in expected.items():
        row = graded[student, task]
        assert row.points == points, (student, task, row.points, row.status)
        if points == 0:
            assert REASONS[student, task] in row.status, (student, task, row.status)


def test_every_answer_cell_of_06_to_08_has_a_wrong_answer_in_the_corpus():
    faked = {(name, gid) for name, answers, _ in CORPUS.values() for gid in answers}
    for name in (L06, L07, L08):
        master = nbformat.read(ROOT / "solutions" / name, 4)
        for c in master.cells:
            if _meta(c).get("solution") and c.cell_type == "code":
                assert (name, _meta(c)["grade_id"]) in faked, (name, _meta(c)["grade_id"])
