"""A class of synthetic submissions: fair points, no crashed batch, no leaked hidden tests."""
import copy
import csv
import json
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import autograde, sandbox

ROOT = Path(__file__).resolve().parent.parent
L01, L06 = "01_target_functions.ipynb", "06_kohonen.ipynb"
#: Without bubblewrap (or not as root) the same batch is graded unsandboxed, so scoring is still
#: checked; tests/test_redteam.py (skipped then) is what needs the sandbox.
SANDBOX = sandbox.available() is None


def _meta(c):
    return c.metadata.get("nbgrader", {})


def _load(folder, name):
    return nbformat.read(ROOT / folder / name, 4)


def _answer(name, gid):
    cell = next(c for c in _load("solutions", name).cells if _meta(c).get("grade_id") == gid)
    return "\n".join(l for l in cell.source.splitlines() if "### " not in l)


def _student(name, answers=None, all_correct=False, **meta):
    nb = copy.deepcopy(_load("exercises", name))
    for c in nb.cells:
        gid = _meta(c).get("grade_id")
        if _meta(c).get("solution") and all_correct:
            c.source = _answer(name, gid)
        if answers and gid in answers:
            c.source = answers[gid]
    nb.metadata.update(meta)
    return nb


MONKEY = """
import numpy as np
np.isclose = lambda *a, **k: True
np.allclose = lambda *a, **k: True
get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)
get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])
def wcss_numpy(X, C):
    return -1.0
"""
READER = """
hidden = open(%r).read()
def pairwise_sq(X):
    return 0
""" % str(ROOT / "solutions" / L01)

# student -> (notebook name, notebook or raw text, expected points or None = check separately)
CLASS = {
    "a_correct": (L01, lambda: _student(L01, all_correct=True), 12),
    "b_blank": (L01, lambda: _student(L01), 0),
    "d_syntax_error": (L01, lambda: _student(L01, {"wcss_numpy": "def wcss_numpy(X, C):\n    return (("},
                                             all_correct=True), 10),
    "e_endless_loop": (L01, lambda: _student(L01, {"wcss_keras": "while True:\n    pass"}, all_correct=True), 10),
    # the input transformer blanks the student's own later cells in their sandbox, as it would in
    # their notebook: the correct loss after it is never defined; nothing reaches the tests
    "f_monkeypatch": (L01, lambda: _student(L01, {"wcss_numpy": MONKEY,
                                                  "nearest_centre_loss": _answer(L01, "nearest_centre_loss")}), 0),
    "g_reads_solutions": (L01, lambda: _student(L01, {"wcss_numpy": READER + _answer(L01, "wcss_numpy")}), 0),
    "h_huge_output": (L01, lambda: _student(L01, {"wcss_numpy": "for i in range(200_000):\n    print(i)\n"
                                                  + _answer(L01, "wcss_numpy")}, all_correct=True), 12),
    "i_wrong_kernel": (L01, lambda: _student(L01, all_correct=True, kernelspec={
        "name": "julia-1.9", "display_name": "Julia", "language": "julia"}), 12),
    "j_kernel_death": (L01, lambda: _student(L01, {"wcss_keras": "import os\nos._exit(1)",
                                                   "wcss_numpy": _answer(L01, "wcss_numpy")}), 2),
    "k_2gb_allocation": (L01, lambda: _student(L01, {"wcss_numpy": "import numpy as np\nbig = np.ones(2 * 2**30 // 8)"},
                                               all_correct=True), None),
    "l_unreadable": (L01, "{ not a notebook", 0),
    "m_lecture06_correct": (L06, lambda: _student(L06, all_correct=True), 9),
    "n_lecture06_partial": (L06, lambda: _student(L06, {"spherical_kernel": _answer(L06, "spherical_kernel")}), 2),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submissions")
    for student, (name, make, _) in CLASS.items():
        (subs / student).mkdir()
        if isinstance(make, str):
            (subs / student / name).write_text(make)
        else:
            nbformat.write(make(), subs / student / name)
    tampered = _student(L01, {"wcss_numpy": _answer(L01, "wcss_numpy")})
    for c in tampered.cells:
        if _meta(c).get("grade"):
            c.source = "pass  # tests 'fixed' by the student"
    tampered.cells.reverse()
    (subs / "c_tampered_tests").mkdir()
    nbformat.write(tampered, subs / "c_tampered_tests" / L01)
    (subs / "o_misnamed").mkdir()
    nbformat.write(_student(L01, all_correct=True), subs / "o_misnamed" / "homework.ipynb")
    out = tmp_path_factory.mktemp("grades") / "grades.csv"
    limits = autograde.Limits(cell_timeout=30, notebook_timeout=400, memory_mb=1800)
    t0 = time.monotonic()
    rows = autograde.grade_folder(subs, solutions=ROOT / "solutions", out=out, limits=limits, jobs=2,
                                  use_sandbox=SANDBOX)
    for r in rows:
        assert r.status.startswith("UNSANDBOXED ") != SANDBOX
        r.status = r.status.removeprefix("UNSANDBOXED ")
    print(f"graded {len(CLASS) + 2} submissions in {time.monotonic() - t0:.0f} s")
    return subs, out, rows, limits


def _totals(rows):
    tot = {}
    for r in rows:
        p, m = tot.get(r.student, (0.0, 0.0))
        tot[r.student] = (p + r.points, m + r.max_points)
    return tot


def test_every_submission_gets_the_points_it_deserves(graded):
    _, _, rows, _ = graded
    tot = _totals(rows)
    for student, (_, _, expected) in CLASS.items():
        if expected is None:
            continue
        assert tot[student][0] == expected, (student, [(r.task, r.points, r.status) for r in rows
                                                       if r.student == student])
    assert tot["c_tampered_tests"][0] == 2        # only the one real answer counts
    assert tot["o_misnamed"] == (0, 0)


def test_statuses_say_what_happened(graded):
    _, _, rows, _ = graded
    status = {(r.student, r.task): r.status for r in rows}
    # the allocation is refused (address-space limit) or the notebook is stopped (memory limit)
    k = status["k_2gb_allocation", "test_wcss_numpy"]
    assert k.startswith("failed") or "memory limit" in k
    assert tot_k(rows) in (0, 10)               # all but the 2 points of the refused task, or 0
    assert "kernel stopped" in status["j_kernel_death", "test_nearest_centre_loss"]
    assert status["f_monkeypatch", "test_wcss_numpy"].startswith("failed")
    assert status["a_correct", "test_wcss_numpy"] == "passed"
    assert "unknown notebook" in status["o_misnamed", "-"]
    assert "unreadable" in status["l_unreadable", "test_wcss_numpy"]


def tot_k(rows):
    return _totals(rows)["k_2gb_allocation"][0]


def test_csv_and_feedback_show_no_hidden_tests(graded):
    subs, out, rows, _ = graded
    with open(out) as fh:
        sheet = list(csv.DictReader(fh))
    assert list(sheet[0]) == ["student", "notebook", "task", "points", "max", "status"]
    assert len(sheet) == len(rows)
    pages = list(out.parent.glob("grades.csv.feedback/*.html"))
    assert len(pages) == len(CLASS) + 2
    hidden = "BEGIN HIDDEN TESTS"
    master = (ROOT / "solutions" / L01).read_text()
    secret = "X5, C5 = rng.normal(size=(40, 5))"      # a line of a hidden test
    assert secret in master
    for page in pages:
        text = page.read_text()
        assert hidden not in text and secret not in text
    assert secret not in out.read_text()


def test_rerun_resumes_without_regrading(graded):
    subs, out, rows, limits = graded
    parts = sorted(out.parent.glob("grades.csv.parts/*.json"))
    stamps = {p: p.stat().st_mtime_ns for p in parts}
    victim = next(p for p in parts if "n_lecture06_partial" in p.name)
    victim.unlink()                                   # as if the batch had been interrupted there
    t0 = time.monotonic()
    again = autograde.grade_folder(subs, solutions=ROOT / "solutions", out=out, limits=limits, jobs=2,
                                   use_sandbox=SANDBOX)
    assert time.monotonic() - t0 < 120
    assert _totals(again) == _totals(rows)
    for p, t in stamps.items():
        if p != victim:
            assert p.stat().st_mtime_ns == t, f"{p.name} was re-graded"
    assert json.loads(victim.read_text())["rows"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        autograde.grade_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="cell_timeout"):
        autograde.Limits(cell_timeout=0)
    with pytest.raises(ValueError, match="jobs"):
        autograde.grade_folder(tmp_path, jobs=0, use_sandbox=False)


def test_refuses_without_a_sandbox(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "available", lambda: "bubblewrap (`bwrap`) is not installed")
    with pytest.raises(RuntimeError, match="no sandbox.*--no-sandbox"):
        autograde.grade_folder(tmp_path)
    (tmp_path / "subs").mkdir()
    assert autograde.main([str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]) == 2


def test_forged_part_is_regraded(graded):
    subs, out, rows, limits = graded
    part = next(out.parent.glob("grades.csv.parts/b_blank__*.json"))
    saved = json.loads(part.read_text())
    saved["rows"] = [dict(r, points=r["max_points"], status="passed") for r in saved["rows"]]
    part.write_text(json.dumps(saved))              # rows changed, signature kept: not accepted
    again = autograde.grade_folder(subs, out=out, limits=limits, jobs=2, use_sandbox=SANDBOX)
    assert _totals(again)["b_blank"][0] == 0
