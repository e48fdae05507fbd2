"""Stored notebooks come from one clean top-to-bottom run of the code beside their outputs.

nbval re-runs every notebook and compares the checked cells; these tests cover what it cannot:
an output left from an earlier version of an unchecked cell, cells run out of order, errors and
stderr noise stored for readers. Re-store a notebook with
``python -m course_utils.instructor.execute notebooks/NN_name.ipynb`` (``make notebooks``).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_utils.instructor.execute import STAMP_KEY, source_stamp

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


def _stored(path: Path) -> bool:
    return any(c.get("outputs") or c.get("execution_count") for c in _code_cells(path))


def test_there_are_eight_lectures_and_they_keep_outputs():
    assert len(LECTURES) == 8
    assert all(_stored(p) for p in LECTURES), "lecture notebooks are stored with their outputs"


@pytest.mark.parametrize("path", [p for p in LECTURES + MASTERS if _stored(p)],
                         ids=lambda p: p.parent.name + "/" + p.name)
def test_outputs_come_from_one_clean_run_of_this_source(path):
    cells = _code_cells(path)
    counts = [c.get("execution_count") for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1, 2, 3, … — store it from one top-to-bottom run")
    for i, cell in enumerate(cells, 1):
        src = "".join(cell["source"])
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} code cell {i} stores an error: {out.get('ename')}"
            assert out.get("name") != "stderr", (
                f"{path.name} code cell {i} stores stderr text: {''.join(out.get('text', ''))[:200]!r}")
        stamp = cell.get("metadata", {}).get(STAMP_KEY, {}).get("source_sha256")
        assert stamp == source_stamp(src), (
            f"{path.name} code cell {i}: its output was not produced by its current source "
            f"(edited after the last run?) — re-store the notebook")


def test_stamp_changes_with_the_source():
    # the check above would be vacuous if the stamp ignored edits
    assert source_stamp("print(1)\n") != source_stamp("print(2)\n")
    assert source_stamp(["print(", "1)\n"]) == source_stamp("print(1)\n")


SETUP_CELL = 1   # the first code cell imports TensorFlow (a few seconds) and prints the versions


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_every_slow_cell_shows_progress(path):
    """No silent [*]: a lecture cell that ran longer than 3 s when stored showed a progress bar."""
    cells = _code_cells(path)
    stamps = [c.get("metadata", {}).get(STAMP_KEY, {}) for c in cells]
    assert all("seconds" in s and "progress" in s for s in stamps), (
        f"{path.name}: store it with `make notebooks` (records each cell's seconds and progress bar)")
    silent = [(i, s["seconds"]) for i, s in enumerate(stamps, 1)
              if i != SETUP_CELL and s["seconds"] > 3 and not s["progress"]]
    assert not silent, (f"{path.name}: code cells (number, seconds) that ran over 3 s without a progress bar: "
                        f"{silent} — loop with course_utils.progress.progress(...) or train with fit_clustering")


def run_all_seconds(path: Path) -> float:
    """Seconds of a top-to-bottom run, as measured when the notebook was stored."""
    return sum(c.get("metadata", {}).get(STAMP_KEY, {}).get("seconds", 0.0) for c in _code_cells(path))


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_no_cell_trains_longer_than_the_readme_promises(path):
    """README: "every cell takes at most about 10 s" (measured on the 2-core machine that stored it)."""
    slow = [(i, c["metadata"][STAMP_KEY]["seconds"]) for i, c in enumerate(_code_cells(path), 1)
            if c.get("metadata", {}).get(STAMP_KEY, {}).get("seconds", 0.0) > 12]
    assert not slow, f"{path.name}: code cells (number, seconds) over the README's ~10 s: {slow}"
