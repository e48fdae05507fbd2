"""A trusted call in the submission's kernel runs the libraries as they were before the student's code.

The grader asks the submission's kernel (``course_utils.instructor._sandbox_kernel``) to run course
functions on the student's functions — ``score_target`` trains the student's target there. The
student's cells ran first in that process, so they could have patched what the course function uses:
scikit-learn's ARI, ``fit_cluster``, a function's ``__code__``. These tests speak the kernel's protocol
directly (no sandbox needed) and check that each such patch changes nothing the grader receives.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from course_utils.instructor import probes

X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0], [0.0, 0.2], [5.0, 5.2]])
LABELS = np.array([0, 0, 1, 1, 1, 0])          # half wrong: ARI well below 1
TRUE = np.array([0, 0, 1, 1, 0, 1])
REPORT = {"module": "course_utils.metrics", "qualname": "report"}


@pytest.fixture
def kernel():
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "course_utils.instructor._sandbox_kernel"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    n = iter(range(10**6))

    def ask(req):
        req = {"id": next(n), "timeout": 120, **req}
        proc.stdin.write(json.dumps(req) + "\n")
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    yield ask
    proc.stdin.close()
    proc.wait(timeout=30)


def _call(ask, target, *args):
    return ask({"op": "call", "target": target, "args": probes.encode(list(args)), "kwargs": probes.encode({})})


def _ari(reply):
    assert reply["ok"], reply
    return probes.decode(reply["value"])["ari"]


def test_a_patched_library_is_put_back_before_a_trusted_call(kernel):
    truth = adjusted_rand_score(TRUE, LABELS)
    assert truth < 0.5
    assert _ari(_call(kernel, REPORT, X, LABELS, TRUE)) == pytest.approx(truth)
    patch = kernel({"op": "exec", "source": (
        "import sklearn.metrics as m, course_utils.metrics as cm\n"
        "m.adjusted_rand_score = lambda a, b: 1.0\n"
        "cm.skm.adjusted_rand_score = lambda a, b: 1.0\n"
        "def _fake(X, labels, true=None):\n    return {'ari': 1.0}\n"
        "cm.report.__code__ = _fake.__code__\n"
        "import sys\nsys.modules['sklearn.metrics'] = type(sys)('fake')\n")})
    assert patch["ok"], patch
    assert _ari(_call(kernel, REPORT, X, LABELS, TRUE)) == pytest.approx(truth)
    # and the student's own view of the library is the pristine one again, not a forged one
    check = kernel({"op": "exec",
                    "source": "import sklearn.metrics as m\n_v = m.adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1])"})
    assert check["ok"]
    assert probes.decode(kernel({"op": "get", "name": "_v"})["value"]) == pytest.approx(-0.5)


def test_a_patch_made_during_a_trusted_call_voids_its_result(kernel):
    kernel({"op": "exec", "source": (
        "def sneaky(P):\n"
        "    import sklearn.metrics as m\n"
        "    m.adjusted_rand_score = lambda a, b: 1.0\n"
        "    return P.sum()\n")})
    target = {"module": "course_utils.instructor.scoring", "qualname": "own_work"}
    reply = kernel({"op": "call", "target": target, "args": [{"ref": "sneaky"}, probes.encode(X)],
                    "kwargs": probes.encode({})})
    assert not reply["ok"] and "changed" in reply["error"][1], reply
    assert _ari(_call(kernel, REPORT, X, LABELS, TRUE)) == pytest.approx(adjusted_rand_score(TRUE, LABELS))


def test_no_trusted_call_beside_a_thread_the_student_started(kernel):
    kernel({"op": "exec", "source": (
        "import threading, time, sklearn.metrics as m\n"
        "def spin():\n    while True:\n        m.adjusted_rand_score = lambda a, b: 1.0\n        time.sleep(0.001)\n"
        "threading.Thread(target=spin, daemon=True).start()\n")})
    reply = _call(kernel, REPORT, X, LABELS, TRUE)
    assert not reply["ok"] and "thread" in reply["error"][1], reply


def test_an_honest_call_passes_the_check(kernel):
    # the course's own training, run as a trusted call, must not trip the "changed" check
    kernel({"op": "exec", "source": "import course_utils\ncourse_utils.setup()\nfrom keras import ops\n"
                                    "def ident(P, graph):\n"
                                    "    return -ops.sum(P * P) / ops.cast(ops.shape(P)[0], 'float32')\n"})
    rng = np.random.default_rng(0)
    Xb = np.vstack([rng.normal(0, 0.3, (30, 2)), rng.normal(4, 0.3, (30, 2))])
    yb = np.repeat([0, 1], 30)
    target = {"module": "course_utils.instructor.scoring", "qualname": "score_target"}
    reply = kernel({"op": "call", "target": target,
                    "args": [{"ref": "ident"}, probes.encode(Xb), probes.encode(yb)], "kwargs": probes.encode({})})
    assert reply["ok"], reply
    assert "changed" not in str(probes.decode(reply["value"]))
