"""The student copies run as students first meet them: top to bottom, in a fresh kernel.

Nothing is answered yet, so the answer cells raise ``NotImplementedError`` and the test cells after
them fail; every other cell — the setup cell, the locked cells between tasks — must run clean, or a
student's first Run All shows a course that is broken before they start.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


def _role(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("solution"):
        return "answer"
    if meta.get("grade"):
        return "test"
    return "locked"


def check_first_run(nb) -> list[str]:
    """What went wrong in an executed student copy, by the rule above (empty list: all is well)."""
    problems, unanswered = [], False
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        role = _role(cell)
        if role == "answer":                        # a def only raises when called, later
            for e in errors:
                if e.ename != "NotImplementedError":
                    problems.append(f"answer cell {i + 1} raised {e.ename}: {e.evalue}")
            unanswered = True
        elif errors and not (role == "test" and unanswered):
            problems.append(f"{role} cell {i + 1} raised {errors[0].ename}: {errors[0].evalue}"
                            f"{'' if role == 'test' else ' (locked cells must run clean)'}")
    return problems


def test_the_rule_tells_allowed_from_broken():
    import nbformat

    def cell(role, ename=None):
        meta = {"answer": {"solution": True}, "test": {"grade": True}, "locked": {}}[role]
        c = nbformat.v4.new_code_cell("", metadata={"nbgrader": meta})
        c.outputs = [nbformat.v4.new_output("error", ename=ename, evalue="", traceback=[])] if ename else []
        return c

    ok = nbformat.v4.new_notebook(cells=[cell("locked"), cell("answer", "NotImplementedError"),
                                         cell("test", "NameError"), cell("locked")])
    assert check_first_run(ok) == []
    for bad in ([cell("locked", "ImportError")], [cell("test", "AssertionError")],
                [cell("answer", "TypeError")], [cell("answer"), cell("locked", "NotImplementedError")],
                [cell("answer", "NotImplementedError"), cell("locked", "NameError")]):
        assert check_first_run(nbformat.v4.new_notebook(cells=bad)), bad


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_student_copy_runs_top_to_bottom(path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    assert any(_role(c) == "answer" for c in nb.cells if c.cell_type == "code")
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    assert check_first_run(nb) == [], f"{path.name}: {check_first_run(nb)}"
    # the copy is unanswered: at least one test cell fails before a student writes anything
    tests = [c for c in nb.cells if c.cell_type == "code" and _role(c) == "test"]
    assert any(o.output_type == "error" for c in tests for o in c.outputs)
