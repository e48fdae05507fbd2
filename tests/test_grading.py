"""The solutions -> exercises -> grading pipeline (nbgrader markup and preprocessors)."""
import copy
import csv
from pathlib import Path

import nbformat
import pytest

from course_utils import grading

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_exercises_are_in_sync_with_solutions():
    stale = grading.generate_all(check=True)
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


def _submit(folder, student, nb):
    d = folder / student
    d.mkdir(parents=True)
    nbformat.write(nb, d / "01_target_functions.ipynb")


def test_grading_full_zero_partial_and_tampering(tmp_path):
    """Solution: full marks. Untouched exercise: zero, no crash. Half done + edited tests: partial."""
    name = "01_target_functions.ipynb"
    master = nbformat.read(ROOT / "solutions" / name, 4)
    exercise = nbformat.read(ROOT / "exercises" / name, 4)
    half = copy.deepcopy(exercise)
    for cell, mcell in zip(half.cells, master.cells):
        gid = _meta(cell).get("grade_id")
        if gid in ("wcss_numpy", "nearest_centre_loss"):       # two of four answers done
            cell.source = "\n".join(l for l in mcell.source.splitlines() if "### " not in l)
        if _meta(cell).get("grade"):
            cell.source = "pass  # the student 'fixed' the tests"     # tampering must not help
    half.cells.reverse()                                          # nor reordering
    subs = tmp_path / "subs"
    _submit(subs, "ann_solution", master)
    _submit(subs, "bob_blank", exercise)
    _submit(subs, "cid_half", half)
    (subs / "dee_broken").mkdir()
    (subs / "dee_broken" / name).write_text("{ this is not json")
    out = tmp_path / "grades.csv"
    rows = grading.grade_folder(subs, out=out, timeout=120)

    total = {}
    for r in rows:
        p, m = total.get(r.student, (0, 0))
        total[r.student] = (p + r.points, m + r.max_points)
    max_points = sum(_meta(c)["points"] for c in master.cells if _meta(c).get("grade"))
    assert total["ann_solution"] == (max_points, max_points)
    assert total["bob_blank"] == (0, max_points)
    assert total["dee_broken"] == (0, max_points)
    by_task = {(r.student, r.task): r for r in rows}
    assert by_task["cid_half", "test_wcss_numpy"].points == 2
    assert by_task["cid_half", "test_nearest_centre_loss"].points == 3
    assert by_task["cid_half", "test_wcss_keras"].points == 0
    assert "NotImplementedError" in by_task["cid_half", "test_wcss_keras"].status
    with open(out) as fh:
        sheet = list(csv.DictReader(fh))
    assert set(sheet[0]) == {"student", "notebook", "task", "points", "max", "status"}
    assert len(sheet) == 4 * 4


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


def test_grade_folder_rejects_a_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        grading.grade_folder(tmp_path / "nope")
