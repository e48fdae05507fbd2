"""Grader workers: one process group per notebook, forked from a warm server, killed on its limits.

Grading a notebook in a fresh ``python`` process paid for importing TensorFlow every time (about
6 CPU-seconds, a third of grading a blank notebook). :func:`run` forks each worker instead from a
fork server (:mod:`multiprocessing`'s ``forkserver``) that imported :data:`PRELOAD` once. Only
trusted code runs in that server and in the workers: the submission itself runs in the sandbox each
worker starts (:mod:`course_utils.instructor.grader_session`), a fresh process per notebook.
No TensorFlow operation runs in the server, so no thread pool is forked half-made.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from . import _sandbox_kernel

__all__ = ["PRELOAD", "run"]

#: What every worker imports: the grader, the libraries the masters' locked cells use and what the
#: sandbox kernel preloads (the tests call the same modules here).
PRELOAD = ("course_utils.instructor.autograde", "keras", "tensorflow", "matplotlib.pyplot",
           "IPython.core.interactiveshell") + _sandbox_kernel.PRELOAD
_LOCK = threading.Lock()


def _context():
    """The fork server (started on first use, with :data:`PRELOAD` and ``PYTHONHASHSEED=0``)."""
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(PRELOAD))
    env = {"PYTHONHASHSEED": "0",                       # set order in the workers: as in every kernel we start
           # `python -m ...autograde` is re-run as the workers' __main__ although preloaded: runpy says so
           "PYTHONWARNINGS": "ignore::RuntimeWarning:runpy"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        forkserver.ensure_running()
    finally:
        for k, v in saved.items():
            if v is None:
                del os.environ[k]
            else:
                os.environ[k] = v
    return ctx


def _worker(target: Callable[[list[str]], int], argv: list[str]) -> None:
    """A worker's life: its own process group (killed as one), no terminal output, one job."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sys.exit(target(argv))


def rss_mb(pid: int) -> float:
    """Resident memory of the processes under ``pid`` (the submission's sandbox), in MiB.

    Parameters
    ----------
    pid : int
        The worker's process id.
    """
    import psutil

    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def run(target: Callable[[list[str]], int], argv: list[str], *, time_limit: float, memory_mb: float) -> str | None:
    """Run ``target(argv)`` in a forked worker; kill its group past ``time_limit`` s or ``memory_mb``.

    ``target`` must be a module-level function (it is sent to the fork server by name). Returns
    None when the worker exited with 0, else what went wrong, in words.

    Parameters
    ----------
    target : callable
        The job, ``target(argv) -> exit status``.
    argv : list of str
        Its arguments.
    time_limit : float
        Seconds the worker may run.
    memory_mb : float
        Resident memory (MiB) the processes under the worker may hold.
    """
    with _LOCK:  # multiprocessing's bookkeeping of children is not made for threads
        proc = _context().Process(target=_worker, args=(target, argv))
        proc.start()
    start, why = time.monotonic(), None
    while proc.is_alive():
        proc.join(0.2)
        if not proc.is_alive():
            break
        if time.monotonic() - start > time_limit:
            why = f"notebook time limit ({time_limit:g} s)"
        elif rss_mb(proc.pid) > memory_mb:
            why = f"memory limit ({memory_mb:g} MB)"
        if why:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                proc.kill()
            proc.join()
    code = proc.exitcode
    with _LOCK:
        proc.close()
    return why or (None if code == 0 else f"grader worker failed (exit {code})")
