"""Student copies and autograding: a thin layer over nbgrader's own preprocessors.

``solutions/`` holds the masters (nbgrader markup). Two jobs are done here:

* :func:`generate_exercise` turns a master into the student copy with nbgrader's
  ``ClearSolutions``, ``ClearHiddenTests``, ``ClearMarkScheme``, ``ClearOutput`` and
  ``LockCells`` — the same preprocessors ``nbgrader generate_assignment`` runs, without a
  gradebook. ``make exercises`` writes them; a test fails when ``exercises/`` is stale.
* :func:`grade_notebook` grades one submission: it starts from the **master**, takes only the
  student's answer cells (matched by ``grade_id``) and keeps every other cell — locked cells
  and the tests with their hidden part — from the master. A submission cannot edit, delete or
  reorder the tests. The merged notebook runs in a fresh kernel with nbgrader's ``Execute``
  (per-cell timeout, errors allowed) and each test cell is scored with nbgrader's
  ``determine_grade`` (an error means 0 points; a number as the cell's value means partial credit).

Command line::

    python -m course_utils.grading exercises [--check]
    python -m course_utils.grading grade SUBMISSIONS_DIR [--out grades.csv]

A submissions folder holds one sub-folder per student with that student's notebooks, named as
in ``exercises/`` (``SUBMISSIONS/alice/01_target_functions.ipynb``): nbgrader's own layout.
"""
from __future__ import annotations

import argparse
import copy
import csv
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["generate_exercise", "generate_all", "merge_submission", "grade_notebook", "grade_folder",
           "TaskResult", "ROOT"]

#: The course folder (parent of the package).
ROOT = Path(__file__).resolve().parent.parent

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


def _meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _read(path: Path | str) -> NotebookNode:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no notebook at {path}; check the path.")
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several types for bad JSON
        raise ValueError(f"{path} is not a readable notebook: {exc}") from None


def generate_exercise(master: NotebookNode) -> NotebookNode:
    """Return the student copy of a master notebook (solutions, hidden tests and outputs removed).

    Parameters
    ----------
    master : NotebookNode
        A notebook with nbgrader markup (``### BEGIN SOLUTION`` … in answer cells).
    """
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, ClearOutput, ClearSolutions, LockCells

    nb = copy.deepcopy(master)
    resources: dict = {}
    steps = [ClearSolutions(code_stub={"python": CODE_STUB}, text_stub=TEXT_STUB),
             ClearHiddenTests(), ClearMarkScheme(), ClearOutput(), LockCells()]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    for cell in nb.cells:  # execution counts and ids from the master are noise in a student copy
        if cell.cell_type == "code":
            cell.execution_count = None
    return nb


def generate_all(solutions: Path | str = ROOT / "solutions", exercises: Path | str = ROOT / "exercises",
                 *, check: bool = False) -> list[Path]:
    """Write (or, with ``check=True``, compare) the student copy of every master.

    Returns
    -------
    list of Path
        The exercise files written, or — with ``check`` — those that are missing or stale.
    """
    solutions, exercises = Path(solutions), Path(exercises)
    masters = sorted(solutions.glob("*.ipynb"))
    if not masters:
        raise ValueError(f"no master notebooks in {solutions}.")
    exercises.mkdir(parents=True, exist_ok=True)
    touched = []
    for path in masters:
        text = nbformat.writes(generate_exercise(_read(path))) + "\n"
        target = exercises / path.name
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                touched.append(target)
        else:
            target.write_text(text, encoding="utf-8")
            touched.append(target)
    if check:
        masters_names = {p.name for p in masters}
        touched += [p for p in sorted(exercises.glob("*.ipynb")) if p.name not in masters_names]
    return touched


def merge_submission(master: NotebookNode, submission: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """Build the notebook to grade: the master, with the student's answer cells put in.

    Only cells that the master marks as answers (``solution: true``) are taken from the submission,
    matched by ``grade_id``; tests (visible and hidden) and locked cells always come from the master.

    Returns
    -------
    merged : NotebookNode
    missing : list of str
        grade_ids of answer cells the submission lacks (they keep the exercise's stub).
    """
    answers = {}
    for cell in submission.get("cells", []):
        gid = _meta(cell).get("grade_id")
        if gid and _meta(cell).get("solution") and gid not in answers:
            answers[gid] = cell
    exercise = generate_exercise(master)
    merged = copy.deepcopy(master)
    missing = []
    for i, cell in enumerate(merged.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        meta = _meta(cell)
        if not meta.get("solution"):
            continue
        gid = meta.get("grade_id")
        student = answers.get(gid)
        if student is None or student.get("cell_type") != cell.cell_type:
            missing.append(gid)
            cell.source = exercise.cells[i].source
        else:
            cell.source = student.get("source", "")
    return merged, missing


@dataclass
class TaskResult:
    """One row of the grade sheet."""
    student: str
    notebook: str
    task: str
    points: float
    max_points: float
    status: str


def _score(cell: NotebookNode) -> tuple[float, float, str]:
    from nbgrader.utils import determine_grade

    # A warning printed to stderr is not a failed test: keep only errors and values.
    scored = copy.deepcopy(cell)
    scored.outputs = [o for o in scored.get("outputs", []) if not (o.output_type == "stream" and o.name == "stderr")]
    points, max_points = determine_grade(scored)
    points = 0.0 if points is None else float(points)
    errors = [o for o in scored.outputs if o.output_type == "error"]
    status = "passed" if points == max_points else ("failed: " + errors[0].ename if errors else "partial")
    return points, float(max_points), status


def grade_notebook(master_path: Path | str, submission_path: Path | str, *, student: str = "",
                   timeout: int = 120) -> list[TaskResult]:
    """Grade one submitted notebook against its master; never raises for a broken submission.

    Parameters
    ----------
    master_path, submission_path : path
        The master in ``solutions/`` and the student's notebook.
    student : str
        The name written in the grade sheet.
    timeout : int
        Seconds allowed per cell (an endless loop is interrupted and scores 0).
    """
    from nbgrader.preprocessors import Execute, LimitOutput

    master = _read(master_path)
    name = Path(master_path).name
    tasks = [c for c in master.cells if _meta(c).get("grade") and not _meta(c).get("solution")]
    try:
        submission = nbformat.read(str(submission_path), as_version=4)
    except Exception as exc:
        why = f"unreadable notebook ({type(exc).__name__})"
        return [TaskResult(student, name, _meta(c)["grade_id"], 0.0, float(_meta(c)["points"]), why) for c in tasks]
    merged, _ = merge_submission(master, submission)
    with tempfile.TemporaryDirectory(prefix="grade_") as tmp:
        runner = Execute(timeout=timeout, allow_errors=True, interrupt_on_timeout=True, kernel_name="python3")
        try:
            merged, _ = runner.preprocess(merged, {"metadata": {"path": tmp}})
            crashed = None
        except Exception as exc:  # kernel death, unresponsive kernel …
            crashed = f"kernel stopped ({type(exc).__name__})"
    merged, _ = LimitOutput().preprocess(merged, {})
    results = []
    by_id = {_meta(c).get("grade_id"): c for c in merged.cells}
    for task in tasks:
        gid = _meta(task)["grade_id"]
        cell = by_id[gid]
        if crashed and not cell.get("outputs"):
            results.append(TaskResult(student, name, gid, 0.0, float(_meta(task)["points"]), crashed))
            continue
        points, max_points, status = _score(cell)
        results.append(TaskResult(student, name, gid, points, max_points, status))
    return results


def grade_folder(submissions: Path | str, *, solutions: Path | str = ROOT / "solutions",
                 out: Path | str | None = None, timeout: int = 120) -> list[TaskResult]:
    """Grade every ``SUBMISSIONS/<student>/<notebook>.ipynb`` and write a CSV grade sheet.

    The CSV has the columns ``student, notebook, task, points, max, status``.
    """
    submissions, solutions = Path(submissions), Path(solutions)
    if not submissions.is_dir():
        raise ValueError(f"{submissions} is not a folder; give SUBMISSIONS=dir with one sub-folder per student.")
    masters = {p.name: p for p in solutions.glob("*.ipynb")}
    rows: list[TaskResult] = []
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for nb_path in sorted(student_dir.glob("*.ipynb")):
            if nb_path.name not in masters:
                rows.append(TaskResult(student_dir.name, nb_path.name, "-", 0.0, 0.0,
                                       "unknown notebook name (rename it as in exercises/)"))
                continue
            rows += grade_notebook(masters[nb_path.name], nb_path, student=student_dir.name, timeout=timeout)
    if out is not None:
        with open(out, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["student", "notebook", "task", "points", "max", "status"])
            for r in rows:
                writer.writerow([r.student, r.notebook, r.task, f"{r.points:g}", f"{r.max_points:g}", r.status])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grading", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("exercises", help="regenerate exercises/ from solutions/")
    ex.add_argument("--check", action="store_true", help="only report stale copies; exit 1 if any")
    gr = sub.add_parser("grade", help="grade a folder of submissions")
    gr.add_argument("submissions")
    gr.add_argument("--out", default="grades.csv")
    gr.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    if args.cmd == "exercises":
        paths = generate_all(check=args.check)
        if args.check:
            for p in paths:
                print(f"stale: {p} (run `make exercises`)")
            return 1 if paths else 0
        print(f"wrote {len(paths)} exercise notebook(s) to {ROOT / 'exercises'}")
        return 0
    rows = grade_folder(args.submissions, out=args.out, timeout=args.timeout)
    total: dict[str, list[float]] = {}
    for r in rows:
        acc = total.setdefault(r.student, [0.0, 0.0])
        acc[0] += r.points
        acc[1] += r.max_points
    for student, (p, m) in total.items():
        print(f"{student}: {p:g} / {m:g}")
    print(f"grade sheet: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
