"""Student copies and autograding: a thin layer over nbgrader's own preprocessors.

``solutions/`` holds the masters (nbgrader markup). Two jobs are done here:

* :func:`generate_exercise` turns a master into the student copy with nbgrader's
  ``ClearSolutions``, ``ClearHiddenTests``, ``ClearMarkScheme``, ``ClearOutput`` and
  ``LockCells`` — the same preprocessors ``nbgrader generate_assignment`` runs, without a
  gradebook. ``make exercises`` writes them; a test fails when ``exercises/`` is stale.
* :func:`merge_submission` builds the notebook to grade: it starts from the **master**, takes
  only the student's answer cells (matched by ``grade_id``) and keeps every other cell — locked
  cells and the tests with their hidden part — from the master. A submission cannot edit, delete
  or reorder the tests. :mod:`course_utils.autograde` runs it in an isolated kernel and scores
  each test cell with nbgrader's ``determine_grade`` (:func:`_score`: an error means 0 points; a
  number as the cell's value means partial credit).

Command line: ``python -m course_utils.grading exercises [--check]``.
"""
from __future__ import annotations

import argparse
import copy
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

__all__ = ["generate_exercise", "generate_all", "merge_submission", "TaskResult", "course_folder"]


def course_folder(course: Path | str | None = None) -> Path:
    """The course folder (holding ``solutions/``, ``exercises/``, ``notebooks/``), as an absolute path.

    Parameters
    ----------
    course : path, optional
        The folder; default: the current directory (the tools run from the course's root, as
        ``make`` does), so the installed package works outside the checkout too.

    Returns
    -------
    Path
    """
    root = Path.cwd() if course is None else Path(course).resolve()
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder; pass the course folder (the one holding solutions/).")
    return root

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
            _announce_visible_pass(cell)
    return nb


PASS_LINE = 'print("Task {grade_id}: visible tests passed — hidden tests run at grading")'


def _announce_visible_pass(cell: NotebookNode) -> None:
    """End a student's test cell with a line saying that its visible asserts passed (they ran above it)."""
    meta = _meta(cell)
    if not meta.get("grade") or meta.get("solution") or not meta.get("grade_id"):
        return
    line = PASS_LINE.format(grade_id=meta["grade_id"])
    source = cell.source.rstrip("\n")
    if line not in source:
        cell.source = f"{source}\n{line}" if source.strip() else line


def generate_all(solutions: Path | str | None = None, exercises: Path | str | None = None,
                 *, check: bool = False, course: Path | str | None = None) -> list[Path]:
    """Write (or, with ``check=True``, compare) the student copy of every master.

    Parameters
    ----------
    solutions : path, optional
        The masters' folder (default: the course's ``solutions/``).
    exercises : path, optional
        The student copies' folder (default: the course's ``exercises/``).
    check : bool
        Only compare; write nothing.
    course : path, optional
        The course folder (default: the current directory).

    Returns
    -------
    list of Path
        The exercise files written, or — with ``check`` — those that are missing or stale.
    """
    root = course_folder(course) if solutions is None or exercises is None else None
    solutions = root / "solutions" if solutions is None else Path(solutions)
    exercises = root / "exercises" if exercises is None else Path(exercises)
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

    Parameters
    ----------
    master : NotebookNode
        The solution notebook, with tests and metadata.
    submission : NotebookNode
        The student's notebook.

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


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.instructor.grading [--course DIR] exercises [--check]``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m course_utils.instructor.grading",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--course", type=Path, default=None, help="the course folder (default: the current directory)")
    sub = parser.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("exercises", help="regenerate exercises/ from solutions/")
    ex.add_argument("--check", action="store_true", help="only report stale copies; exit 1 if any")
    args = parser.parse_args(argv)
    paths = generate_all(check=args.check, course=args.course)
    if args.check:
        for p in paths:
            print(f"stale: {p} (run `make exercises`)")
        return 1 if paths else 0
    print(f"wrote {len(paths)} exercise notebook(s) to {course_folder(args.course) / 'exercises'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
