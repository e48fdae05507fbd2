"""Progress bars: shown in a live kernel, one per cell, recorded when a lecture is stored, never stored."""
from __future__ import annotations

import json

import nbformat
import pytest

from course_utils import progress
from course_utils.instructor.execute import execute_notebook


def test_no_bar_outside_a_notebook_and_the_items_pass_through():
    assert not progress.visible()                 # pytest: quiet
    assert list(progress.progress(range(4), "seeds")) == [0, 1, 2, 3]
    with progress.Bar(3, "epochs") as bar:
        bar.update(2)
        bar.update(5)
    assert bar.n == 3                             # clipped at the total


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="total"):
        progress.Bar(0)
    with pytest.raises(TypeError, match="total="):
        list(progress.progress(iter([1, 2])))


def test_a_stored_lecture_records_its_bars_and_seconds_but_keeps_no_bar(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_UTILS_QUIET", raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import time\nfrom course_utils.progress import progress, Bar"),
        # an outer loop with a bar; the inner bars stay hidden (one bar per cell, not a pile)
        nbformat.v4.new_code_cell("for s in progress(range(3), 'seeds'):\n"
                                  "    with Bar(2, 'epochs') as b:\n        b.update(2)\n    time.sleep(0.4)\n"
                                  "print('done')"),
        nbformat.v4.new_code_cell("print('no bar here')"),
        # an exception inside a loop must not hide the next cell's bar
        nbformat.v4.new_code_cell("try:\n    for s in progress(range(3), 'x'):\n        raise KeyError\n"
                                  "except KeyError:\n    pass"),
        nbformat.v4.new_code_cell("for s in progress(range(2), 'again'):\n    pass"),
    ]
    path = tmp_path / "lecture.ipynb"
    nbformat.write(nb, path)
    execute_notebook(path, timeout=120)
    stored = json.loads(path.read_text())
    cells = [c for c in stored["cells"] if c["cell_type"] == "code"]
    meta = [c["metadata"]["course"] for c in cells]
    assert [m["progress"] for m in meta] == [False, True, False, True, True]
    assert meta[1]["seconds"] >= 1.0                      # 3 x 0.4 s of sleep, measured
    for c in cells:                                       # the bars themselves are not stored
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c["outputs"])
    assert "".join(cells[1]["outputs"][0]["text"]) == "done\n"
    assert "widgets" not in stored["metadata"]            # no state of removed widgets either


def test_bars_do_not_nest(monkeypatch):
    shown = []
    monkeypatch.setenv("COURSE_UTILS_QUIET", "")
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    monkeypatch.setattr(progress, "_hook", lambda: None)
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append(k.get("metadata")))
    for _ in progress.progress(range(3), "seeds"):
        with progress.Bar(5, "epochs") as inner:
            inner.update(5)
    assert shown == [{progress.MARKER: True}]          # the outer bar only
    with progress.Bar(2, "next"):
        pass
    assert len(shown) == 2                             # closed bars let the next one show
