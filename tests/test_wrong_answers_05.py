"""Wrong answers to exercise 05, graded by the course's own grader: each must score 0 on the task it fakes.

Every submission is the student copy (``exercises/05_moons_assignment.ipynb``) with its answer
cells replaced (one fake per task), graded by :func:`course_utils.instructor.autograde.grade_folder` exactly as a class would be.
The corpus covers the shortcuts the exercise must not reward:

* the open task (``my_target``): a junk target next to a patched grader (``fit_cluster`` replaced by
  scikit-learn, the ARI forced to 1: the grader's training runs in the student's process); a "target"
  that computes labels on the host — scikit-learn on
  ``graph.W_host`` or on ``graph.X``, the true labels, labels of the notebook's own data computed
  when the cell runs — and trains the network to copy them; the package's loss called on the host
  graph; the lecture's cell copied with its graph of the notebook's data, or renamed and fed the grader's
  graph (``inspection.lecture_copy`` knows it by its values); a NumPy "target";
* ``soft_ncut``: NumPy (right values, no gradient) and the package's ``ncut_loss``;
* ``wcss``: the package's hard-label WCSS (``metrics.sums_of_squares`` of the argmax).

A control submission with the master's answers to tasks 1–2 shows the same grading path gives
points where they are earned (the master's own target is run by nbval on ``solutions/``).
"""
from __future__ import annotations

import copy
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import autograde

ROOT = Path(__file__).resolve().parent.parent
NAME = "05_moons_assignment.ipynb"


def _meta(c):
    return c.metadata.get("nbgrader", {})


def _answer(gid):
    cell = next(c for c in nbformat.read(ROOT / "solutions" / NAME, 4).cells if _meta(c).get("grade_id") == gid)
    return "\n".join(line for line in cell.source.splitlines() if "### " not in line)


def _student(answers):
    nb = copy.deepcopy(nbformat.read(ROOT / "exercises" / NAME, 4))
    for c in nb.cells:
        if _meta(c).get("grade_id") in answers:
            c.source = answers[_meta(c)["grade_id"]]
    return nb


COPY = """
import numpy as np
from keras import ops
OUTPUT = "memberships"

def copy_labels(P, labels):          # the network is trained to reproduce labels found elsewhere
    T = np.eye(int(labels.max()) + 1, dtype="float32")[labels]
    return ops.sum((P - T) ** 2)
"""

TARGETS = {  # fake of my_target -> source of the answer cell
    "w_host_spectral": COPY + """
from sklearn.cluster import SpectralClustering
def my_target(P, graph):
    labels = SpectralClustering(graph.n_clusters, affinity="precomputed", random_state=0).fit_predict(graph.W_host)
    return copy_labels(P, labels)
""",
    "x_kmeans": COPY + """
from sklearn.cluster import KMeans
def my_target(P, graph):
    return copy_labels(P, KMeans(graph.n_clusters, n_init=10, random_state=0).fit_predict(np.asarray(graph.X)))
""",
    "w_to_dense_spectral": COPY + """
import tensorflow as tf
from sklearn.cluster import SpectralClustering
def my_target(P, graph):
    Wd = tf.sparse.to_dense(graph.W).numpy()
    return copy_labels(P, SpectralClustering(graph.n_clusters, affinity="precomputed").fit_predict(Wd))
""",
    "true_labels": COPY + """
def my_target(P, graph):
    return copy_labels(P, y)
""",
    "labels_at_definition": COPY + """
from sklearn.cluster import SpectralClustering
LABELS = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=15, random_state=0).fit_predict(X)
def my_target(P, graph):
    return copy_labels(P, LABELS)
""",
    "package_spectral_loss": """
from course_utils.targets import graph_losses as gl
OUTPUT = "embedding"
def my_target(Y, graph):
    return gl.spectral_loss(graph.W_host, graph.n_clusters).target(Y)
""",
    "lecture_cell_verbatim": """
from keras import ops
from course_utils import data
from course_utils.targets import graph_losses as gl
OUTPUT = "embedding"
Xs = data.standardize(X)
W = gl.knn_graph(Xs, 15, weights="snn")
W_t = ops.convert_to_tensor(W.toarray().astype("float32"))
d_t = ops.sum(W_t, axis=1)
def my_target(Y, graph):
    vol = ops.sum(d_t)
    G = ops.matmul(ops.transpose(Y), Y * d_t[:, None]) / vol
    G = G + 1e-4 * (ops.trace(G) / ops.shape(Y)[1] + 1e-7) * ops.eye(ops.shape(Y)[1])
    R = ops.cholesky(G)
    Z = ops.transpose(ops.solve_triangular(R, ops.transpose(Y), lower=True))
    return (ops.sum(d_t[:, None] * Z * Z) - ops.sum(Z * ops.matmul(W_t, Z))) / vol
""",
    # the grader's training runs in the student's process: patch it to cluster with scikit-learn, and
    # the ARI to say 1 (the kernel restores the libraries before a trusted call: the junk target counts)
    "patched_grader": """
import numpy as np
from keras import ops
import sklearn.metrics
from sklearn.cluster import SpectralClustering
import course_utils.targets.clustering as cl
OUTPUT = "memberships"
_real = cl.fit_cluster
def _forged(X, k, fn, seed=0, **kw):
    res = _real(X, k, fn, seed, **kw)
    res.labels = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=15, random_state=0).fit_predict(X)
    return res
cl.fit_cluster = _forged
sklearn.metrics.adjusted_rand_score = lambda a, b: 1.0
def my_target(P, graph):
    return -ops.sum(P * P)
""",
    # lecture 05's spectral cell, renamed and fed the grader's graph: it clusters the moons, but it is a copy
    "lecture_spectral_renamed": """
from keras import ops
OUTPUT = "embedding"
def my_target(Y, graph):
    d_t, W_t = graph.degree, graph.W
    vol = ops.sum(d_t)
    G = ops.matmul(ops.transpose(Y), Y * d_t[:, None]) / vol
    G = G + 1e-4 * (ops.trace(G) / ops.shape(Y)[1] + 1e-7) * ops.eye(ops.shape(Y)[1])
    R = ops.cholesky(G)
    Z = ops.transpose(ops.solve_triangular(R, ops.transpose(Y), lower=True))
    return 2.0 * (ops.sum(d_t[:, None] * Z * Z) - ops.sum(Z * ops.matmul(W_t, Z))) / vol + 1.0
""",
    # the true labels read from the grader's own frames while it trains (score_target's y): the
    # grader trains in the sandbox (train_labels) and keeps y out of it, so there is nothing to find
    "stack_reader": """
import sys
import numpy as np
from keras import ops
OUTPUT = "memberships"
def _grader_truth():
    f, y_, Xs_ = sys._getframe(1), None, None
    while f is not None:
        if f.f_code.co_name in ("score_target", "_score") and "y" in f.f_locals: y_ = f.f_locals["y"]
        if f.f_code.co_name == "fit_cluster" and "Xs" in f.f_locals: Xs_ = f.f_locals["Xs"]
        f = f.f_back
    return y_, Xs_
def my_target(P, graph):
    y_, Xs_ = _grader_truth()
    if y_ is None or Xs_ is None:
        return ops.sum(P * ops.log(P + 1e-7))
    T = ops.convert_to_tensor(np.eye(int(np.max(y_)) + 1, dtype="float32")[np.asarray(y_)])
    Xc = ops.convert_to_tensor(np.asarray(Xs_, dtype="float32"))
    d = ops.sum(ops.square(ops.expand_dims(graph.X, 1) - ops.expand_dims(Xc, 0)), axis=-1)
    return ops.sum(ops.square(P - ops.take(T, ops.argmin(d, axis=1), axis=0)))
""",
    "numpy_target": """
import numpy as np
from keras import ops
OUTPUT = "memberships"
def my_target(P, graph):
    P = ops.convert_to_numpy(P)
    return float(np.sum(P * np.log(P + 1e-7)))
""",
}

SOFT_NCUT = {
    "soft_ncut_numpy": """
import numpy as np
import tensorflow as tf
def soft_ncut(P, graph):
    P = np.asarray(P, dtype=np.float64)
    W = tf.sparse.to_dense(graph.W).numpy() if isinstance(graph.W, tf.SparseTensor) else np.asarray(graph.W)
    d = np.asarray(graph.degree)
    return ops.convert_to_tensor(sum(P[:, k] @ W @ (1 - P[:, k]) / (P[:, k] @ d + 1e-7) for k in range(P.shape[1])))
""",
    "soft_ncut_package": """
from course_utils.targets import graph_losses as gl
def soft_ncut(P, graph):
    return gl.ncut_loss(graph.W_host, int(ops.shape(P)[1]), balance=0.0).target(P)
""",
}

WCSS = {
    "wcss_package_hard_labels": """
from course_utils import metrics
def wcss(X, P):
    return metrics.sums_of_squares(X, P.argmax(axis=1))["tot_withinss"]
""",
}

# student -> (answers, the tasks it fakes: each must score 0). The fakes of tasks 1-2 ride along in
# notebooks that fake task 3-4 (one sandbox fewer each); one of those notebooks answers tasks 1-2
# correctly instead, as the control that earned points are given.
CONTROL_STUDENT = "target_labels_at_definition"
CLASS = {f"target_{k}": ({"my_target": v}, ["test_my_target_moons", "test_my_target_circles"])
         for k, v in TARGETS.items()}
for (student, (cell, fake)), task in zip([("target_numpy_target", ("soft_ncut", SOFT_NCUT["soft_ncut_numpy"])),
                                          ("target_true_labels", ("soft_ncut", SOFT_NCUT["soft_ncut_package"])),
                                          ("target_x_kmeans", ("wcss", WCSS["wcss_package_hard_labels"]))],
                                         ["test_soft_ncut", "test_soft_ncut", "test_wcss"]):
    CLASS[student][0][cell] = fake
    CLASS[student][1].append(task)
CLASS[CONTROL_STUDENT][0].update(wcss=_answer("wcss"), soft_ncut=_answer("soft_ncut"))
assert len(SOFT_NCUT) == 2 and len(WCSS) == 1, "every fake of tasks 1-2 must be placed above"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions05")
    for student, (answers, _) in CLASS.items():
        (subs / student).mkdir()
        nbformat.write(_student(answers), subs / student / NAME)
    out = subs.parent / "grades05.csv"
    t0 = time.monotonic()
    rows = autograde.grade_folder(subs, out=out, limits=autograde.Limits(cell_timeout=300, notebook_timeout=900,
                                                                         memory_mb=2500), jobs=2)
    print(f"graded {len(CLASS)} submissions of exercise 05 in {time.monotonic() - t0:.0f} s")
    return {(r.student, r.task): r for r in rows}


@pytest.mark.parametrize("student", sorted(CLASS))
def test_wrong_answer_scores_zero_on_the_task_it_fakes(graded, student):
    for task in CLASS[student][1]:
        row = graded[student, task]
        assert row.points == 0, (student, task, row.points, row.status)


def test_the_same_grading_gives_points_where_they_are_earned(graded):
    assert graded[CONTROL_STUDENT, "test_wcss"].points == 2
    assert graded[CONTROL_STUDENT, "test_soft_ncut"].points == 3
