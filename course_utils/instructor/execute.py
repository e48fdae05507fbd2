"""Store a notebook's outputs from one clean top-to-bottom run, stamped with each cell's source.

>>> python -m course_utils.instructor.execute notebooks/05_moons_assignment.ipynb

A stored output must come from the code beside it. Executing in place in a fresh kernel gives
execution counts 1, 2, 3, … in order; the stamp ``metadata.course.source_sha256`` on every code
cell records which source produced its output, so a test can tell an output left over from an
earlier version of a cell (``tests/test_stored_notebooks.py``) even where nbval does not compare it.
The run shows progress bars as a live session does: each cell records its seconds
(``metadata.course.seconds``, on the machine that stored it) and whether it showed a bar
(``metadata.course.progress``); the bars themselves are not stored.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

from ..progress import MARKER

STAMP_KEY = "course"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def source_stamp(source: str | list[str]) -> str:
    """A short hash of a cell's source (the text Jupyter shows), to tie an output to its code.

    Parameters
    ----------
    source : str or list of str
        The cell's source, as one string or as nbformat's list of lines.

    Returns
    -------
    str
        The first 16 hex digits of the source's SHA-256.
    """
    text = source if isinstance(source, str) else "".join(source)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cell_seconds(cell) -> float:
    """Seconds a code cell ran, from nbclient's timing metadata (0.0 where it is missing).

    Parameters
    ----------
    cell : nbformat.NotebookNode
        An executed code cell (nbclient records ``metadata.execution`` timestamps).

    Returns
    -------
    float
        From the kernel taking the cell to its reply.
    """
    from datetime import datetime

    timing = cell.get("metadata", {}).get("execution", {})
    start = timing.get("iopub.execute_input") or timing.get("shell.execute_reply.started")
    end = timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = (lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")))
    return max(0.0, (parse(end) - parse(start)).total_seconds())


def _prune_widget_state(nb) -> None:
    """Keep only the widget models that a stored output still shows (and the models they use)."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state")
    if not models:
        return
    todo = [o["data"][WIDGET_VIEW]["model_id"] for c in nb.cells if c.cell_type == "code"
            for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    keep: set[str] = set()
    while todo:
        mid = todo.pop()
        if mid in keep or mid not in models:
            continue
        keep.add(mid)
        todo.extend(_model_refs(models[mid]))
    if keep:
        state["state"] = {k: v for k, v in models.items() if k in keep}
    else:
        del nb.metadata["widgets"]


def _model_refs(value) -> list[str]:
    """The widget model ids a model's state refers to (``"IPY_MODEL_<id>"`` strings)."""
    if isinstance(value, str):
        return [value[len("IPY_MODEL_"):]] if value.startswith("IPY_MODEL_") else []
    if isinstance(value, dict):
        return [r for v in value.values() for r in _model_refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _model_refs(v)]
    return []


def execute_notebook(path: str | Path, timeout: int = 600, kernel_name: str = "python3") -> float:
    """Execute ``path`` top to bottom in a fresh kernel, stamp every code cell, save it in place.

    Parameters
    ----------
    path : str or Path
        The notebook; it runs with its own folder as the working directory.
    timeout : int
        Seconds one cell may take before the run stops with an error.
    kernel_name : str
        The Jupyter kernel to start (the course's is ``python3``).

    Returns
    -------
    float
        Seconds the run took.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        If a cell fails: nothing is written, so a stored notebook never holds an error.
    """
    import nbformat
    from nbclient import NotebookClient

    for var, value in (("KERAS_BACKEND", "tensorflow"), ("TF_CPP_MIN_LOG_LEVEL", "3"),
                       ("TF_ENABLE_ONEDNN_OPTS", "0"), ("PYTHONHASHSEED", "0")):
        os.environ.setdefault(var, value)           # inherited by the kernel
    os.environ.pop("COURSE_UTILS_QUIET", None)      # bars on, as a student sees them; then recorded
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            stamp = cell.metadata.setdefault(STAMP_KEY, {})
            stamp["source_sha256"] = source_stamp(cell.source)
            stamp["seconds"] = round(cell_seconds(cell), 1)
            bars = [o for o in cell.outputs if o.get("metadata", {}).get(MARKER)]
            stamp["progress"] = bool(bars)
            cell.outputs = [o for o in cell.outputs if o not in bars]   # the bar is for live runs
            cell.metadata.pop("execution", None)    # timestamps would change on every run
    _prune_widget_state(nb)
    nbformat.write(nb, path)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Command line: execute and store every notebook named, one after the other.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status (0: every notebook ran clean).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = parser.parse_args(argv)
    for nb in args.notebooks:
        print(f"{nb}: {execute_notebook(nb, timeout=args.timeout):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
