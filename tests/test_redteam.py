"""Red team: submissions that attack the grader score 0 on what they did not solve.

One small batch of lecture 06 (cheap NumPy tasks): an honest full and an honest half submission
next to attackers. Each attacker's answers are wrong unless its attack worked (then it would
return the right answer or plant a pass), so any success shows up as points.
"""
import json
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from test_autograde import _answer, _student

from course_utils.instructor import autograde, sandbox

ROOT = Path(__file__).resolve().parent.parent
L06 = "06_kohonen.ipynb"
pytestmark = pytest.mark.skipif(sandbox.available() is not None, reason=f"no sandbox: {sandbox.available()}")

RIGHT = _answer(L06, "spherical_kernel") if (ROOT / "solutions" / L06).exists() else ""
WRONG = "def spherical_kernel(X):\n    return np.zeros(2)\n"
LEAK = """
def _leak():
    import os, ctypes
    found = []
    paths = [%r, %r, "/proc/1/environ", "/proc/self/mounts", "CLASSMATE"]
    for p in paths:
        try:
            found.append(open(p).read())
        except Exception:
            pass
    try:
        d = os.open("/", os.O_RDONLY)
        found.append(open(os.open("work/main/solutions/%s", os.O_RDONLY, dir_fd=d)).read())
    except Exception:
        pass
    try:
        libc = ctypes.CDLL(None)
        fd = libc.open(b"%s", 0)
        if fd >= 0:
            found.append("ctypes")
    except Exception:
        pass
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) > 2:
            try:
                found.append(open(f"/proc/{pid}/mem", "rb").read(1))
            except Exception:
                pass
    return any("BEGIN HIDDEN" in str(f) or "def spherical_kernel" in str(f) or f == "ctypes" for f in found)
""" % (str(ROOT / "solutions" / L06), str(ROOT / "exercises" / L06), L06, str(ROOT / "solutions" / L06))

ATTACKS = {
    "rebind_names": "import numpy as np\nnp.allclose = np.isclose = lambda *a, **k: True\n"
                    "import builtins\nbuiltins.abs = lambda x: 0\nX = np.zeros((0, 2))\n" + WRONG,
    "always_equal": "class Eq:\n    __eq__ = lambda s, o: True\n    __array__ = lambda s, *a, **k: __import__('numpy').ones(2)\n"
                    "    def __float__(self): return 1.0\ndef spherical_kernel(X):\n    return Eq()\n",
    "ipython_patch": "ip = get_ipython()\nip.input_transformers_post.append(lambda lines: ['pass\\n'])\n"
                     "ip.set_custom_exc((Exception,), lambda *a, **k: None)\nimport sys\nsys.displayhook = lambda v: None\n" + WRONG,
    "repatch_threads": "import threading, sys, numpy\ndef spin():\n    while True:\n        numpy.allclose = lambda *a, **k: True\n"
                       "threading.Thread(target=spin, daemon=True).start()\nsys.settrace(lambda *a: None)\n"
                       "sys.addaudithook(lambda *a: None)\n" + WRONG,
    "startup_files": "import os\nfor d in ['~/.ipython/profile_default/startup', '/tmp', '.']:\n"
                     "    p = os.path.expanduser(d)\n    os.makedirs(p, exist_ok=True)\n"
                     "    open(os.path.join(p, '00-pass.py'), 'w').write('import numpy; numpy.allclose = lambda *a, **k: True')\n"
                     "open('numpy.py', 'w').write('allclose = lambda *a, **k: True')\n"
                     "for t in ['%s', '%s']:\n    try:\n        open(t, 'w').write('x')\n    except OSError:\n        pass\n"
                     % (ROOT / "course_utils" / "sitecustomize.py", ROOT / "solutions" / "evil.py") + WRONG,
    "reads_masters": LEAK + "import numpy as np\ndef spherical_kernel(X):\n"
                     "    X = np.asarray(X, float)\n    if _leak():\n        s = X.sum(0)\n        return s / np.linalg.norm(s)\n"
                     "    return np.zeros(X.shape[1])\n",
    "detached": "import subprocess, os\nsubprocess.Popen(['sh', '-c', 'sleep 2; for f in /work/*/grades*; do echo x > $f; done'],"
                " start_new_session=True)\nif os.fork() == 0:\n    os.setsid()\n    import time; time.sleep(30)\n    os._exit(0)\n" + WRONG,
    "kill_parent": "import os, signal\nfor pid in range(1, 4000):\n    try:\n        os.kill(pid, signal.SIGKILL) if pid > 2 else None\n"
                   "    except Exception:\n        pass\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept Exception:\n    pass\n" + WRONG,
    "fork_bomb": "import os\ntry:\n    for _ in range(100000):\n        os.fork()\nexcept OSError:\n    pass\n" + WRONG,
    "memory_shm_disk": "try:\n    a = bytearray(50 * 2**30)\nexcept MemoryError:\n    pass\n"
                       "for path in ['/dev/shm/fill', 'fill', '/tmp/fill']:\n    try:\n        with open(path, 'wb') as f:\n"
                       "            for _ in range(4096):\n                f.write(b'x' * 2**20)\n    except OSError:\n        pass\n" + WRONG,
}
EXPECTED = {"honest_full": 9, "honest_half": 2, **{name: 0 for name in ATTACKS}}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("redteam")
    nbs = {"honest_full": _student(L06, all_correct=True), "honest_half": _student(L06, {"spherical_kernel": RIGHT})}
    for name, source in ATTACKS.items():
        source = source.replace("CLASSMATE", str(subs / "honest_full" / L06))  # reads a classmate's notebook
        nbs[name] = _student(L06, {"spherical_kernel": source})
    for student, nb in nbs.items():
        (subs / student).mkdir()
        nbformat.write(nb, subs / student / L06)
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    parts = out.parent / "grades.csv.parts"
    parts.mkdir()
    # a forged part, as a student who knew the old (unkeyed) scheme would write it
    forged = [{"student": "rebind_names", "notebook": L06, "task": t, "points": 9.0, "max_points": 9.0,
               "status": "passed"} for t in ("test_spherical_kernel", "test_kohonen_update", "test_line_kernel")]
    (parts / f"rebind_names__{Path(L06).stem}.json").write_text(json.dumps({"key": "x", "rows": forged, "mac": "y"}))
    t0 = time.monotonic()
    rows = autograde.grade_folder(subs, out=out, jobs=2,
                                  limits=autograde.Limits(cell_timeout=30, notebook_timeout=300, memory_mb=1500))
    print(f"red team: {len(nbs)} notebooks in {time.monotonic() - t0:.0f} s")
    return out, rows


def test_attackers_get_nothing_and_honest_students_their_marks(batch):
    _, rows = batch
    tot = {}
    for r in rows:
        tot[r.student] = tot.get(r.student, 0.0) + r.points
    detail = {s: [(r.task, r.points, r.status) for r in rows if r.student == s] for s in tot}
    wrong = {s: detail[s] for s, expected in EXPECTED.items() if tot[s] != expected}
    assert not wrong, wrong


def test_no_process_of_a_sandbox_survives_and_results_are_intact(batch):
    out, rows = batch
    time.sleep(3)  # the detached writer would have fired by now
    users = [str(autograde._uid_base() + i) for i in range(2)]
    ps = subprocess.run(["ps", "-eo", "uid="], capture_output=True, text=True).stdout.split()
    assert not set(ps) & set(users)
    assert out.read_text().startswith("student,notebook,task,points,max,status")
    assert not (ROOT / "solutions" / "evil.py").exists()
    assert not (ROOT / "course_utils" / "sitecustomize.py").exists()


def test_no_hidden_text_in_reports(batch):
    out, _ = batch
    hidden = "theta = np.linspace(0, 2 * np.pi, 200_001)"
    assert hidden in (ROOT / "solutions" / L06).read_text()
    texts = [out.read_text()] + [p.read_text() for p in out.parent.glob("grades.csv.feedback/*.html")]
    assert all(hidden not in t and "BEGIN HIDDEN" not in t for t in texts)
