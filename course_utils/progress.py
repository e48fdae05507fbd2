"""Progress bars for lecture cells that run longer than a few seconds: no silent ``[*]``.

A bar shows only in a live notebook kernel (JupyterLab, Jupyter, VS Code): under pytest/nbval,
in scripts, and when ``COURSE_UTILS_QUIET`` is set it is a no-op, so tests and benchmarks print
nothing extra. Bars do not nest: inside a loop that shows one (``for s in progress(seeds)``), the
bars of the trainings it runs stay hidden, so a cell shows one bar, not a pile. The bar is an
ipywidgets ``IntProgress`` with a label (count, seconds, optional text); its display carries the
metadata key :data:`MARKER`, so the tool that stores lecture outputs
(``course_utils.instructor.execute``) can record that a cell showed progress and leave the bar
itself out of the stored notebook.

>>> for seed in progress(range(5), "seeds"):   # doctest: +SKIP
...     fit(seed)
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from .validation import check_int

T = TypeVar("T")

#: The display-metadata key that marks a course progress bar in a cell's outputs.
MARKER = "course_progress"
_open = [0]          # bars open now; an inner bar stays hidden
_hooked = [False]    # the per-cell reset is registered with IPython


def _reset(*_):
    """A new cell starts with no bar open (a loop left by an exception cannot hide later bars)."""
    _open[0] = 0


def _hook() -> None:
    if not _hooked[0]:
        from IPython import get_ipython

        get_ipython().events.register("pre_run_cell", _reset)
        _hooked[0] = True


def quiet() -> bool:
    """True under pytest/nbval or when ``COURSE_UTILS_QUIET`` is set: no bars, no live plots."""
    return bool(os.environ.get("PYTEST_CURRENT_TEST") or os.environ.get("COURSE_UTILS_QUIET"))


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where widgets can render), False in scripts and plain IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    ip = get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def visible() -> bool:
    """Whether a new progress bar would be shown here (a live notebook, not quiet, no bar open)."""
    return _open[0] == 0 and not quiet() and in_notebook()


class Bar:
    """A progress bar of ``total`` steps; a no-op where :func:`visible` is False.

    Parameters
    ----------
    total : int
        The number of steps (epochs, restarts, seeds…); at least 1.
    desc : str
        What is counted, shown left of the bar (e.g. ``"restarts"``).
    min_interval : float
        Seconds between redraws (the last step is always drawn).
    """

    def __init__(self, total: int, desc: str = "", min_interval: float = 0.2):
        total = check_int(total, "total", minimum=1, hint=" (the number of steps: epochs, restarts, seeds)")
        self.total, self.desc, self.min_interval = total, str(desc), float(min_interval)
        self.n = 0
        self._t0 = time.perf_counter()
        self._last = 0.0
        self._widgets = None
        self._closed = False
        if visible():
            _hook()
            import ipywidgets as w
            from IPython.display import display

            bar = w.IntProgress(min=0, max=total, description=self.desc,
                                style={"description_width": "initial"})
            label = w.Label(f"0/{total}")
            self._widgets = (bar, label)
            display(w.HBox([bar, label]), metadata={MARKER: True})
        _open[0] += 1

    def update(self, n: int = 1, text: str = "") -> None:
        """Advance by ``n`` steps and show ``text`` (e.g. the current loss) beside the count."""
        self.n = min(self.total, self.n + int(n))
        if self._widgets is None:
            return
        now = time.perf_counter()
        if now - self._last >= self.min_interval or self.n >= self.total:
            self._last = now
            bar, label = self._widgets
            bar.value = self.n
            label.value = f"{self.n}/{self.total} · {now - self._t0:.1f} s" + (f" · {text}" if text else "")

    def __enter__(self) -> Bar:
        return self

    def close(self) -> None:
        """Draw the final count and let later bars show again (``with Bar(...)`` calls this)."""
        if not self._closed:
            self._closed = True
            _open[0] -= 1
            if self._widgets is not None:
                self.update(0)

    def __exit__(self, *exc) -> None:
        self.close()


def progress(iterable: Iterable[T], desc: str = "", total: int | None = None) -> Iterator[T]:
    """Iterate over ``iterable`` with a progress bar (in a live notebook only).

    Parameters
    ----------
    iterable : iterable
        What the loop runs over (seeds, restarts, data sets…).
    desc : str
        What is counted, shown beside the bar.
    total : int, optional
        The number of items, where ``len(iterable)`` is not defined.

    Yields
    ------
    The items of ``iterable``, unchanged.
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError("progress() needs total= for an iterable without len().") from None
    with Bar(max(1, int(total)), desc) as bar:
        for item in iterable:
            yield item
            bar.update()
