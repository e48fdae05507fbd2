"""Wrong answers to the graded tasks of exercises 01-04 score 0 (issue 14).

Each entry fakes one task the way a student might: the true labels or centres, a scikit-learn or
course_utils function that returns the asked result, NumPy where a differentiable keras.ops function
is asked, a copy of the lecture's cell, or a plausible misunderstanding. Every submission is the
master's correct answers with, per task, at most one wrong answer put in; it is graded by the
course's own grader (``autograde.grade_folder``, the code behind ``make grade``). The faked tasks
must score 0 and the untouched ones full points (so a 0 means the answer was caught, not that the
notebook broke).
"""
import copy
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import autograde

ROOT = Path(__file__).resolve().parent.parent
NB = {"01": "01_target_functions.ipynb", "02": "02_centroid_network.ipynb",
      "03": "03_proximity_matrix.ipynb", "04": "04_softmax_sharpness.ipynb"}


def _meta(c):
    return c.metadata.get("nbgrader", {})


def _master(nb):
    return nbformat.read(ROOT / "solutions" / NB[nb], 4)


def _cell(nb, gid):
    return next(c for c in _master(nb).cells if _meta(c).get("grade_id") == gid)


def _correct(nb, gid):
    return "\n".join(l for l in _cell(nb, gid).source.splitlines() if "### " not in l)


def _pre(nb, gid):
    """The lines of the answer cell above the solution (data loading the student keeps); none where
    the answer is a whole function (the wrong answers below are whole functions then)."""
    pre = _cell(nb, gid).source.split("### BEGIN SOLUTION")[0]
    return "" if pre.lstrip().startswith("def ") else pre


# notebook -> answer cell -> (its test cell, [wrong answers])
WRONG = {
    "01": {
        "wcss_numpy": ("test_wcss_numpy", [
            "def wcss_numpy(X, C):   # the lecture's cell: the total, not one sum per centre\n"
            "    d2 = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=-1)\n    return d2.min(axis=1).sum()",
            "from scipy.cluster.vq import vq\ndef wcss_numpy(X, C):   # SciPy's nearest centre and distance\n"
            "    code, dist = vq(np.asarray(X, float), np.asarray(C, float))\n"
            "    return np.bincount(code, dist ** 2, minlength=len(C))",
            "def wcss_numpy(X, C):   # the true labels, not the nearest centre\n"
            "    return np.array([((X[y == k] - C[k]) ** 2).sum() for k in range(len(C))])",
            "def wcss_numpy(X, C):   # a dead centre drops out of the array\n"
            "    d2 = ((X[:, None] - C[None]) ** 2).sum(-1)\n    return np.bincount(d2.argmin(1), d2.min(1))",
        ]),
        "wcss_keras": ("test_wcss_keras", [
            "def wcss_keras(X, C, w):   # the lecture's cell: the weights ignored\n"
            "    d2 = ops.sum(ops.square(ops.expand_dims(X, 1) - ops.expand_dims(C, 0)), axis=-1)\n"
            "    return ops.sum(ops.amin(d2, axis=1))",
            "def wcss_keras(X, C, w):\n    X, C, w = (np.asarray(a) for a in (X, C, w))\n"
            "    return ops.convert_to_tensor((w * ((X[:, None] - C[None]) ** 2).sum(-1).min(1)).sum())",
            "from course_utils.targets import losses_lecture\n_lec = losses_lecture.lecture_centroid_loss(X, 3)\n"
            "def wcss_keras(X_, C, w):   # the lecture's loss, built beforehand, on the notebook's X\n"
            "    return ops.sum(w * _lec(None, ops.reshape(C, (1, -1))))",
            "def wcss_keras(X, C, w):   # a mean, not the sum\n"
            "    d2 = ops.sum(ops.square(ops.expand_dims(X, 1) - ops.expand_dims(C, 0)), axis=-1)\n"
            "    return ops.mean(w * ops.amin(d2, axis=1))",
        ]),
        "nearest_centre_loss": ("test_nearest_centre_loss", [
            "def nearest_centre_loss(y_true, y_pred, T=1.0):   # the lecture's hard loss\n    return ops.amin(y_pred, axis=1)",
            "def nearest_centre_loss(y_true, y_pred, T=1.0):   # exp underflows for large distances\n"
            "    return -T * ops.log(ops.sum(ops.exp(-y_pred / T), axis=1))",
            "from scipy.special import logsumexp\ndef nearest_centre_loss(y_true, y_pred, T=1.0):\n"
            "    return ops.convert_to_tensor(-T * logsumexp(-ops.convert_to_numpy(y_pred) / T, axis=1))",
            "def nearest_centre_loss(y_true, y_pred, T=1.0):   # T forgotten\n"
            "    m = ops.amin(y_pred, axis=1, keepdims=True)\n"
            "    return ops.squeeze(m, 1) - ops.log(ops.sum(ops.exp(-(y_pred - m)), axis=1))",
        ]),
        "pairwise_sq": ("test_pairwise_sq", [
            "def pairwise_sq(X, Z):   # lecture 01's line: the (N, M, D) tensor of differences\n"
            "    return ops.sum(ops.square(ops.expand_dims(X, 1) - ops.expand_dims(Z, 0)), axis=-1)",
            "def pairwise_sq(X, Z):   # no clip: round-off negatives\n"
            "    return ops.sum(X * X, 1)[:, None] + ops.sum(Z * Z, 1)[None, :] - 2 * ops.matmul(X, ops.transpose(Z))",
            "from scipy.spatial.distance import cdist\ndef pairwise_sq(X, Z):\n"
            "    return ops.convert_to_tensor(cdist(ops.convert_to_numpy(X), ops.convert_to_numpy(Z), 'sqeuclidean'))",
            "def pairwise_sq(X, Z):   # lecture 01's SquaredDistances layer with its centres set to Z\n"
            "    layer = SquaredDistances(Z.shape[0], dtype='float64')\n    layer.build(X.shape)\n"
            "    layer.centres.assign(ops.cast(Z, 'float64'))\n    return layer(X)",
        ]),
        "dead_centre": ("test_dead_centre", [
            "dead_moves = float(np.linalg.norm(C_dead[2] - X.mean(0)))   # 'it is pulled to the data'\n"
            "final_wcss = KMeans(3, n_init=10, random_state=0).fit(X).inertia_",
            "dead_moves = 0.0\nfinal_wcss = KMeans(3, n_init=10, random_state=0).fit(X).inertia_   # three clusters",
        ]),
    },
    "02": {
        "centres_from_output": ("test_centres_from_output", [
            "def centres_from_output(Y, K):\n    Y = np.asarray(Y)\n    return Y.mean(0).reshape(Y.shape[1] // K, K).T",
            "def centres_from_output(Y, K):\n    return np.asarray(Y)[:K, :np.asarray(Y).shape[1] // K]",
        ]),
        "centroid_target": ("test_centroid_target", [
            "def centroid_target(X, Y, K):\n    return float(losses.centroid_loss(X, K)(np.zeros((len(X), 1), 'float32'), "
            "np.asarray(Y, 'float32')))",
            "def centroid_target(X, Y, K):\n    return train.inertia(X, centres_from_output(Y, K)) / len(X)",
            "def centroid_target(X, Y, K):\n    C = centres_from_output(Y, K)\n"
            "    return float(((X[:, None] - C[None]) ** 2).sum(-1).min(1).sum())",
            "from course_utils.targets import losses_lecture\ndef centroid_target(X, Y, K):   # lecture 02's cell\n"
            "    return float(np.mean(losses_lecture.lecture_centroid_loss(X, K)(None, np.asarray(Y, 'float32'))))",
        ]),
        "good_start": ("test_good_start", [
            "from sklearn.cluster._kmeans import _kmeans_plusplus\ndef good_start(X, K, seed=0):   # a private helper\n"
            "    X = np.asarray(X, dtype=float)\n    return _kmeans_plusplus(X, K, (X ** 2).sum(1), np.ones(len(X)), "
            "np.random.RandomState(seed), n_local_trials=1)[0]",
            "def good_start(X, K, seed=0):   # uniform: no d(x)^2\n    X = np.asarray(X, dtype=float)\n"
            "    return X[np.random.default_rng(seed).choice(len(X), K, replace=False)]",
            "def good_start(X, K, seed=0):   # farthest point: deterministic after the first\n"
            "    X = np.asarray(X, dtype=float)\n    chosen = [np.random.default_rng(seed).integers(len(X))]\n"
            "    for _ in range(K - 1):\n        chosen.append(((X[:, None] - X[chosen][None]) ** 2).sum(-1).min(1).argmax())\n"
            "    return X[chosen]",
            "import sys\nfrom sklearn.cluster import kmeans_plusplus\n"
            "def good_start(X, K, seed=0):   # innocent while watched, scikit-learn otherwise\n"
            "    X = np.asarray(X, dtype=float)\n    if sys.getprofile() is not None:\n        return X[:K]\n"
            "    return kmeans_plusplus(X, K, random_state=seed, n_local_trials=1)[0]",
            "def good_start(X, K, seed=0):   # one point of each true cluster\n"
            "    return np.array([X4[y4 == k][seed % 5] for k in range(K)])",
        ]),
    },
    "03": {
        "pairwise_sq_matrix": ("test_pairwise_sq_matrix", [
            "def pairwise_sq_matrix(X):\n    return losses.squared_distances(X)",
            "from scipy.spatial.distance import cdist\ndef pairwise_sq_matrix(X):\n    return cdist(X, X, 'sqeuclidean')",
            "from course_utils.targets import losses_lecture\ndef pairwise_sq_matrix(X):   # the lecture's broadcast\n"
            "    return ops.convert_to_numpy(losses_lecture.lecture_distance_matrix(X)).astype(float)",
            "from scipy.spatial import distance_matrix\ndef pairwise_sq_matrix(X):\n    return distance_matrix(X, X) ** 2",
        ]),
        "co_membership": ("test_co_membership", [
            "def co_membership(P):\n    return P.T @ P",
        ]),
        "normalized_target": ("test_normalized_target", [
            "def normalized_target(M, P):\n    return float(losses.normalized_proximity_loss(M, P.shape[1])("
            "np.zeros((len(P), 1), 'float32'), np.asarray(P, 'float32')))",
            "def normalized_target(M, P):\n    return float(-((P * (M @ P)).sum(0) / P.sum(0)).sum())",
            "def normalized_target(M, P):   # the private class behind the factory\n"
            "    return float(losses._NormalizedProximityLoss(M, P.shape[1])(np.zeros((len(P), 1), 'float32'), "
            "np.asarray(P, 'float32')))",
        ]),
        "shuffled_loss": ("test_shuffled_loss", [
            "in_order = normalized_target(M, P_true)\nshuffled_mean = in_order   # 'the order does not matter'",
            "in_order = normalized_target(M, P_true)\nshuffled_mean = -3.0       # 'like M = I'",
            "in_order = normalized_target(M, P_true)\n"
            "shuffled_mean = -(M.sum() - np.trace(M)) / (len(X) * (len(X) - 1)) * len(X)   # diagonal forgotten",
        ]),
    },
    "04": {
        "sharp_softmax": ("test_sharp_softmax", [
            "def sharp_softmax(x, A):\n    return ops.convert_to_numpy(models.SharpSoftmax(A)(np.asarray(x, 'float32')))"
            ".astype(float)",
            "from scipy.special import softmax\ndef sharp_softmax(x, A):\n    return softmax(A * np.asarray(x), axis=1)",
            "def sharp_softmax(x, A):   # the lecture's batch maximum\n    x = np.asarray(x, dtype=float)\n"
            "    e = np.exp(A * (x - x.max()))\n    return e / e.sum(axis=1, keepdims=True)",
            "from sklearn.utils.extmath import softmax\ndef sharp_softmax(x, A):\n    return softmax(A * np.asarray(x, dtype=float))",
        ]),
        "hardness": ("test_hardness", [
            "def hardness(P):\n    return float(np.asarray(P).max())",
        ]),
        "same_partition": ("test_same_partition", [
            "net_plain = net10",
            "net_plain = models.assignment_network(2, 3, sharpness=1.0, seed=0)\n"
            "net_plain.set_weights(net10.get_weights())   # weights not rescaled",
            "net_plain = models.assignment_network(2, 3, sharpness=10.0, seed=0)\n"
            "net_plain.set_weights(net10.get_weights())   # A kept at 10",
            "net_plain = models.assignment_network(2, 3, sharpness=1.0, seed=3)\n"
            "net10.layers[-1].sharpness = 1.0             # the reference changed, not the weights",
        ]),
        "large_a_limit": ("test_large_a_limit", [
            "def limit_value(X, labels):\n    return -float(len(X))",
            "def limit_value(X, labels):   # WCSS, not 2 WCSS\n"
            "    return float(sum(((X[labels == k] - X[labels == k].mean(0)) ** 2).sum() for k in np.unique(labels)))",
            "def limit_value(X, labels):\n    return 2 * metrics.report(X, labels)['wcss']",
            "def limit_value(X, labels):\n    return 1907.3            # the lecture's table",
        ]),
    },
}
ROUNDS = max(len(w) for tasks in WRONG.values() for _, w in tasks.values())


def _submission(nb, r):
    """All correct answers, with the r-th wrong answer of every task that has one."""
    sub = copy.deepcopy(nbformat.read(ROOT / "exercises" / NB[nb], 4))
    faked = {}
    for c in sub.cells:
        gid = _meta(c).get("grade_id")
        if not _meta(c).get("solution"):
            continue
        c.source = _correct(nb, gid)
        if gid in WRONG[nb] and r < len(WRONG[nb][gid][1]):
            c.source = _pre(nb, gid) + WRONG[nb][gid][1][r]
            faked[WRONG[nb][gid][0]] = WRONG[nb][gid][1][r]
    return sub, faked


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("wrong_answers")
    plan = {}
    for nb in NB:
        for r in range(ROUNDS):
            sub, faked = _submission(nb, r)
            if faked:
                student = f"nb{nb}_round{r}"
                (subs / student).mkdir()
                nbformat.write(sub, subs / student / NB[nb])
                plan[student] = faked
    out = tmp_path_factory.mktemp("wrong_answers_out") / "grades.csv"
    rows = autograde.grade_folder(subs, out=out, jobs=2,
                                  limits=autograde.Limits(cell_timeout=300, notebook_timeout=900, memory_mb=2500))
    return plan, rows


def test_every_wrong_answer_scores_zero_and_the_rest_full(graded):
    plan, rows = graded
    assert plan, "no wrong answers planned"
    by = {(r.student, r.task): r for r in rows}
    problems = []
    for student, faked in plan.items():
        mine = [r for r in rows if r.student == student]
        if not mine:
            problems.append(f"{student} was not graded")
        for r in mine:
            if r.task in faked and r.points != 0:
                problems.append(f"{student}: the wrong answer to {r.task} got {r.points}:\n{faked[r.task]}")
            if r.task not in faked and r.points != r.max_points:
                problems.append(f"{student}: the correct answer to {r.task} got {r.points} ({r.status})")
    assert not problems, "\n".join(problems)
    n_wrong = sum(len(w) for tasks in WRONG.values() for _, w in tasks.values())
    assert sum(len(f) for f in plan.values()) == n_wrong
    assert all((s, t) in by for s, f in plan.items() for t in f)


def test_every_graded_task_has_wrong_answers():
    for nb, tasks in WRONG.items():
        graded_tests = {_meta(c)["grade_id"] for c in _master(nb).cells if _meta(c).get("grade")}
        assert graded_tests == {t for t, _ in tasks.values()}, nb
