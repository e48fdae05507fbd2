"""The solutions -> exercises -> grading pipeline (nbgrader markup and preprocessors)."""
import copy
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import grading

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_exercises_are_in_sync_with_solutions():
    stale = grading.generate_all(check=True, course=ROOT)
    assert not stale, f"exercises/ is stale for {[p.name for p in stale]}: run `make exercises`"


@pytest.mark.parametrize("master_path", MASTERS, ids=[p.stem for p in MASTERS])
def test_master_is_well_formed_and_exercise_hides_answers(master_path):
    master = nbformat.read(master_path, 4)
    tasks = [c for c in master.cells if _meta(c).get("grade") and not _meta(c).get("solution")]
    assert len(tasks) >= 3, "each notebook needs at least three graded tasks"
    assert all(_meta(c).get("points", 0) > 0 and _meta(c).get("locked") for c in tasks)
    ids = [_meta(c)["grade_id"] for c in master.cells if _meta(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    assert "setup(" in next(c.source for c in master.cells if c.cell_type == "code")
    student = nbformat.read(ROOT / "exercises" / master_path.name, 4)
    text = "".join(c.source for c in student.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    answers = [c for c in student.cells if _meta(c).get("solution")]
    assert answers and all("raise NotImplementedError()" in c.source for c in answers if c.cell_type == "code")
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_merge_takes_only_answer_cells_from_the_submission():
    master = nbformat.read(MASTERS[0], 4)
    sub = copy.deepcopy(master)
    for c in sub.cells:
        if _meta(c).get("locked"):
            c.source = "import os; os._exit(1)"
    merged, missing = grading.merge_submission(master, sub)
    assert not missing
    for m, c in zip(master.cells, merged.cells):
        if not _meta(m).get("solution"):
            assert c.source == m.source


def test_the_tools_take_the_course_folder_not_the_package_location(tmp_path, monkeypatch):
    """An installed package works on any course folder: ``--course DIR``, or the current directory."""
    import shutil

    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(MASTERS[0], course / "solutions")
    monkeypatch.chdir(tmp_path)                       # not the checkout, not the course
    assert grading.main(["--course", str(course), "exercises"]) == 0
    written = course / "exercises" / MASTERS[0].name
    expected = nbformat.writes(grading.generate_exercise(nbformat.read(MASTERS[0], 4))) + "\n"
    assert written.read_text(encoding="utf-8") == expected
    assert not (tmp_path / "exercises").exists()
    monkeypatch.chdir(course)                         # default: the current directory
    assert grading.main(["exercises", "--check"]) == 0
    written.write_text("{}", encoding="utf-8")
    assert grading.main(["exercises", "--check"]) == 1


def test_own_work_catches_a_forbidden_call_however_it_is_reached():
    import numpy as np
    from sklearn.cluster import KMeans as Renamed

    from course_utils import metrics
    from course_utils.instructor.scoring import own_work

    X = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 3

    def honest(X, labels):
        return sum(((X[labels == k] - X[labels == k].mean(0)) ** 2).sum() for k in range(3))

    def via_module(X, labels):
        return metrics.sums_of_squares(X, labels)["tot_withinss"]

    def via_alias(X, labels):
        return Renamed(3, n_init=1, random_state=0).fit(X).inertia_

    forbidden = ["course_utils.metrics:sums_of_squares", "sklearn.cluster:KMeans.fit"]
    assert np.isclose(own_work(honest, X, labels, forbidden=forbidden), via_module(X, labels))
    for cheat in (via_module, via_alias):
        with pytest.raises(AssertionError, match="computes the result for you"):
            own_work(cheat, X, labels, forbidden=forbidden)
    from course_utils.targets.models import SharpSoftmax

    def via_class(z):
        return SharpSoftmax(2.0)(z)

    with pytest.raises(AssertionError, match="SharpSoftmax"):
        own_work(via_class, np.ones((2, 3), "float32"), forbidden=["course_utils.targets.models:SharpSoftmax"])
    with pytest.raises(ValueError, match="not a Python function"):
        own_work(honest, X, labels, forbidden=["numpy:pi"])


def test_student_test_cell_says_when_its_visible_tests_pass(capsys):
    import nbformat as _nbf

    from course_utils.instructor.grading import generate_exercise

    answer = _nbf.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False, "grade_id": "double",
                                   "schema_version": 3}
    tests = _nbf.v4.new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n"
                                  "### END HIDDEN TESTS")
    tests.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                  "grade_id": "test_double", "schema_version": 3}
    student = generate_exercise(_nbf.v4.new_notebook(cells=[answer, tests]))
    shown = student.cells[1].source
    assert "HIDDEN" not in shown and shown.startswith("assert double(2) == 4")
    assert shown.endswith('print("Task test_double: visible tests passed — hidden tests run at grading")')
    assert "visible tests passed" not in student.cells[0].source
    assert generate_exercise(student).cells[1].source == shown        # idempotent
    exec("def double(x):\n    return 2 * x\n" + shown, {})              # a right answer: the line is printed
    assert "Task test_double: visible tests passed" in capsys.readouterr().out
    with pytest.raises(AssertionError):                                # a wrong one fails before it
        exec("def double(x):\n    return x\n" + shown, {})
    assert "visible tests passed" not in capsys.readouterr().out
