"""Store a notebook's outputs from one clean top-to-bottom run, stamped with each cell's source.

>>> python -m course_utils.instructor.execute notebooks/05_moons_assignment.ipynb

A stored output must come from the code beside it. Executing in place in a fresh kernel gives
execution counts 1, 2, 3, … in order; the stamp ``metadata.course.source_sha256`` on every code
cell records which source produced its output, so a test can tell an output left over from an
earlier version of a cell (``tests/test_stored_notebooks.py``) even where nbval does not compare it.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

STAMP_KEY = "course"


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
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                   resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.metadata.setdefault(STAMP_KEY, {})["source_sha256"] = source_stamp(cell.source)
            cell.metadata.pop("execution", None)    # timestamps would change on every run
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
