"""Grade a whole class: sandboxed, time- and memory-limited, resumable, with feedback pages.

``make grade SUBMISSIONS=dir`` runs :func:`grade_folder`. For each
``dir/<student>/<notebook>.ipynb``:

1. a **worker process** (its own process group, forked from a warm server that imported TensorFlow
   once: :mod:`course_utils.instructor.workers`) takes the student's answer cells
   (:func:`course_utils.grading.merge_submission`) and runs them in a bubblewrap sandbox
   (:mod:`course_utils.instructor.sandbox`, :mod:`course_utils.instructor._sandbox_kernel`); the master's tests, hidden
   part included, run in the worker on plain data that crosses the boundary
   (:mod:`course_utils.instructor.grader_session`, :mod:`course_utils.instructor.probes`);
2. the parent watches the worker: past the per-notebook time limit or the memory limit (resident
   memory of the sandbox) the whole group is killed and the notebook scores what it had earned so
   far (nothing, if no result was written);
3. each notebook's result is written atomically to ``<out>.parts/``, keyed and signed with an HMAC
   whose key only the grader holds, so an interrupted batch resumes where it stopped, a re-run
   re-grades only what changed and a forged part is graded again;
4. the CSV (``student, notebook, task, points, max, status``) and one feedback HTML page per
   student are written from the parts. Feedback shows the visible test code; a failure names a
   hidden test only as such, and the submission's own error messages are labelled, escaped and
   truncated.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import os
import secrets
import sys
import time
from pathlib import Path

import nbformat

from ..validation import check_int
from . import grader_session, sandbox, workers
from .grading import TaskResult, _meta, course_folder, generate_exercise, merge_submission

__all__ = ["grade_folder", "grade_one", "Limits"]


class Limits:
    """Resource limits for one notebook (seconds and MiB)."""

    def __init__(self, cell_timeout: int = 120, notebook_timeout: int = 600, memory_mb: int = 2000):
        for name, v in (("cell_timeout", cell_timeout), ("notebook_timeout", notebook_timeout),
                        ("memory_mb", memory_mb)):
            check_int(v, name, minimum=1)
        self.cell_timeout, self.notebook_timeout, self.memory_mb = cell_timeout, notebook_timeout, memory_mb


def _uid_base() -> int:
    """First host user id of this grader's sandboxes (one per concurrent job, 64 at most).

    Derived from the process id, so two graders running at once (e.g. test workers) never share
    a user, and with it the process limit.
    """
    return 61000 + (os.getpid() % 20000) * 64


def _tasks(master) -> list:
    return [c for c in master.cells if _meta(c).get("grade") and not _meta(c).get("solution")]


def grade_one(master_path: Path, submission_path: Path, *, student: str, cell_timeout: int,
              sandbox_limits: sandbox.SandboxLimits | None = None, uid: int = 60000,
              use_sandbox: bool = True) -> list[TaskResult]:
    """Grade one notebook (the worker's job): the submission runs in the sandbox, the tests here.

    Only the submission's answer cells (matched by ``grade_id``) are taken; the tests, hidden
    part included, run in this process on plain data (:mod:`course_utils.instructor.grader_session`).

    Parameters
    ----------
    master_path : Path
        The master notebook (solution and tests).
    submission_path : Path
        The student's notebook.
    student : str
        The student's name, as in the results.
    cell_timeout : int
        Seconds each answer cell may run.
    sandbox_limits : sandbox.SandboxLimits, optional
        The sandbox's limits (the defaults if None).
    uid : int
        The host user id the sandbox runs as.
    use_sandbox : bool
        Run the submission in the bubblewrap sandbox.
    """
    master = nbformat.read(str(master_path), as_version=4)
    name = master_path.name
    tasks = _tasks(master)
    try:
        submission = nbformat.read(str(submission_path), as_version=4)
    except Exception as exc:
        return [TaskResult(student, name, _meta(c)["grade_id"], 0.0, float(_meta(c)["points"]),
                           f"unreadable notebook ({type(exc).__name__})") for c in tasks]
    merged, missing = merge_submission(master, submission)
    answers = {_meta(c)["grade_id"]: c.source for c in merged.cells
               if _meta(c).get("solution") and c.cell_type == "code" and _meta(c)["grade_id"] not in missing}
    client = grader_session.SandboxClient(sandbox_limits or sandbox.SandboxLimits(), uid=uid,
                                          use_sandbox=use_sandbox)
    try:
        scored = grader_session.grade_cells(master, answers, client, cell_timeout=cell_timeout)
    finally:
        client.close()
    results = []
    for task in tasks:
        gid = _meta(task)["grade_id"]
        points, status = scored.get(gid, (0.0, "not run"))
        results.append(TaskResult(student, name, gid, points, float(_meta(task)["points"]), status))
    return results


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes() if p.is_file() else b"<missing>")
    return h.hexdigest()


def _secret(parts: Path) -> bytes:
    """The grader's key for the resumable parts (created once, readable by the grader only)."""
    path = parts / ".key"
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def _mac(secret: bytes, text: str) -> str:
    """HMAC-SHA256: a part is reused only if its key and rows carry the grader's own signature."""
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _run_worker(master: Path, sub: Path, part: Path, student: str, limits: Limits, uid: int, use_sandbox: bool):
    """Grade one notebook in a worker (:func:`course_utils.instructor.workers.run`). Returns a status."""
    argv = [str(master), str(sub), str(part), student, str(limits.cell_timeout), str(limits.memory_mb),
            str(limits.notebook_timeout), str(uid), "1" if use_sandbox else "0"]
    return workers.run(_worker_main, argv, time_limit=limits.notebook_timeout, memory_mb=limits.memory_mb)


def grade_folder(submissions: Path | str, *, solutions: Path | str | None = None,
                 out: Path | str = "grades.csv", limits: Limits | None = None,
                 resume: bool = True, jobs: int = 1, use_sandbox: bool = True) -> list[TaskResult]:
    """Grade ``submissions/<student>/<notebook>.ipynb`` against ``solutions/`` and write the CSV.

    Returns the rows of the CSV. Per-notebook results live in ``<out>.parts/``; with ``resume``
    a result whose submission and master are unchanged is reused, not re-run. Feedback pages go
    to ``<out>.feedback/<student>.html``. ``jobs`` notebooks are graded at once (each in its own
    worker and kernel). Each submission runs in the bubblewrap sandbox (:mod:`course_utils.instructor.sandbox`);
    where that is not available this raises :class:`RuntimeError`, unless ``use_sandbox=False``
    (then every status says ``UNSANDBOXED``).

    Parameters
    ----------
    submissions : Path or str
        The folder with one sub-folder per student.
    solutions : Path or str, optional
        The master notebooks (``<course>/solutions`` if None).
    out : Path or str
        The CSV to write.
    limits : Limits, optional
        The per-notebook limits (the defaults if None).
    resume : bool
        Reuse the results of unchanged notebooks.
    jobs : int
        Notebooks graded at once.
    use_sandbox : bool
        Run the submissions in the bubblewrap sandbox.
    """
    solutions = course_folder() / "solutions" if solutions is None else solutions  # default: ./solutions
    submissions, solutions, out = Path(submissions).resolve(), Path(solutions).resolve(), Path(out).resolve()
    if not submissions.is_dir():
        raise ValueError(f"{submissions} is not a folder; give SUBMISSIONS=dir with one sub-folder per student.")
    limits = limits or Limits()
    check_int(jobs, "jobs", minimum=1, hint=" (notebooks graded at once)")
    masters = {p.name: p for p in solutions.glob("*.ipynb")}
    if not masters:
        raise ValueError(f"no master notebooks in {solutions}.")
    if use_sandbox and (why := sandbox.available()) is not None:
        raise RuntimeError(f"no sandbox to grade in: {why.rstrip('.')}. Grading untrusted notebooks without it lets a "
                           "submission read the masters and change results; pass --no-sandbox only for "
                           "trusted notebooks.")
    parts = out.with_name(out.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    secret = _secret(parts)
    todo, results = [], {}
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for sub in sorted(student_dir.glob("*.ipynb")):
            key = (student_dir.name, sub.name)
            if sub.name not in masters:
                results[key] = [TaskResult(student_dir.name, sub.name, "-", 0.0, 0.0,
                                           "unknown notebook name (name it as in exercises/)")]
                continue
            part = parts / f"{student_dir.name}__{sub.stem}.json"
            digest = _mac(secret, _digest(sub, masters[sub.name]))
            if resume and part.is_file():
                try:
                    saved = json.loads(part.read_text(encoding="utf-8"))
                    if saved.get("key") == digest and hmac.compare_digest(
                            str(saved.get("mac")), _mac(secret, digest + json.dumps(saved["rows"]))):
                        results[key] = [TaskResult(**r) for r in saved["rows"]]
                        continue
                except (ValueError, TypeError, KeyError):
                    pass  # a damaged or forged part: grade again
            todo.append((key, sub, masters[sub.name], part, digest))

    import queue

    uids: queue.Queue = queue.Queue()
    for slot in range(min(jobs, 64)):  # one host user per concurrent sandbox: the process limit counts per user
        uids.put(_uid_base() + slot)

    def run(item):
        (student, _), sub, master, part, digest = item
        raw = part.with_suffix(".raw.json")
        raw.unlink(missing_ok=True)
        uid = uids.get()
        try:
            why = _run_worker(master, sub, raw, student, limits, uid, use_sandbox)
        finally:
            uids.put(uid)
        if raw.is_file() and why is None:
            got = [TaskResult(**r) for r in json.loads(raw.read_text(encoding="utf-8"))]
        else:
            m = nbformat.read(str(master), as_version=4)
            got = [TaskResult(student, sub.name, _meta(c)["grade_id"], 0.0, float(_meta(c)["points"]),
                              why or "no result") for c in _tasks(m)]
        raw.unlink(missing_ok=True)
        if not use_sandbox:
            for r in got:
                r.status = "UNSANDBOXED " + r.status
        rows = [r.__dict__ for r in got]
        _atomic_write(part, json.dumps({"key": digest, "rows": rows, "mac": _mac(secret, digest + json.dumps(rows))}))
        return got

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(jobs, 64)) as pool:  # threads only wait on worker processes
        for item, got in zip(todo, pool.map(run, todo)):
            results[item[0]] = got
    rows = [r for key in sorted(results) for r in results[key]]
    _write_csv(out, rows)
    _write_feedback(out.with_name(out.name + ".feedback"), rows, masters)
    return rows


def _write_csv(out: Path, rows: list[TaskResult]) -> None:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["student", "notebook", "task", "points", "max", "status"])
    for r in rows:
        w.writerow([r.student, r.notebook, r.task, f"{r.points:g}", f"{r.max_points:g}", _cell(r.status)])
    _atomic_write(out, buf.getvalue())


def _cell(text: str) -> str:
    """A status as CSV text: one line, at most 300 characters, never read as a spreadsheet formula."""
    text = " ".join(str(text).split())[:300]
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _write_feedback(folder: Path, rows: list[TaskResult], masters: dict[str, Path]) -> None:
    """One HTML page per student: per task the points, the status and the *visible* test code."""
    folder.mkdir(parents=True, exist_ok=True)
    visible = {}
    for name, path in masters.items():
        ex = generate_exercise(nbformat.read(str(path), as_version=4))  # hidden tests removed
        visible[name] = {_meta(c).get("grade_id"): c.source for c in ex.cells if _meta(c).get("grade")}
    for student in sorted({r.student for r in rows}):
        mine = [r for r in rows if r.student == student]
        got, total = sum(r.points for r in mine), sum(r.max_points for r in mine)
        body = [f"<h1>Feedback for {html.escape(student)}</h1><p><b>{got:g} / {total:g}</b> points</p>"]
        for r in mine:
            code = visible.get(r.notebook, {}).get(r.task, "")
            body.append(f"<h2>{html.escape(r.notebook)} · {html.escape(r.task)}: {r.points:g} / {r.max_points:g}</h2>"
                        f"<p>{html.escape(_cell(r.status))}</p><pre>{html.escape(code)}</pre>")
        _atomic_write(folder / f"{student}.html",
                      "<!doctype html><meta charset='utf-8'><title>Feedback</title>" + "".join(body))


def _worker_main(argv: list[str]) -> int:
    master, sub, part, student, cell_timeout, memory_mb, notebook_timeout, uid, use_sandbox = argv
    # address space: the memory limit plus what TensorFlow maps at import (~1.5 GiB, mostly unused)
    box = sandbox.SandboxLimits(memory_mb=int(memory_mb) + 1536, cpu_s=int(notebook_timeout),
                                nproc=max(256, 8 * (os.cpu_count() or 1)))  # TensorFlow: threads per core
    rows = grade_one(Path(master), Path(sub), student=student, cell_timeout=int(cell_timeout),
                     sandbox_limits=box, uid=int(uid), use_sandbox=use_sandbox == "1")
    _atomic_write(Path(part), json.dumps([r.__dict__ for r in rows]))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.instructor.autograde SUBMISSIONS [--course DIR] ...``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (``sys.argv[1:]`` if None).
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_worker":
        return _worker_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m course_utils.instructor.autograde",
                                     description="Grade a folder of submissions.")
    parser.add_argument("submissions")
    parser.add_argument("--out", default="grades.csv")
    parser.add_argument("--cell-timeout", type=int, default=120)
    parser.add_argument("--notebook-timeout", type=int, default=600)
    parser.add_argument("--memory-mb", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--no-resume", action="store_true", help="re-grade everything")
    parser.add_argument("--course", default=None, help="the course folder (default: the current directory)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="grade without the bubblewrap sandbox (trusted notebooks only; every status says so)")
    args = parser.parse_args(argv)
    t0 = time.monotonic()
    if args.no_sandbox:
        print("WARNING: grading WITHOUT a sandbox (--no-sandbox): submissions can read the masters and "
              "tamper with results. Every status in the report says UNSANDBOXED.")
    try:
        rows = grade_folder(args.submissions, solutions=course_folder(args.course) / "solutions",
                            out=args.out, resume=not args.no_resume, use_sandbox=not args.no_sandbox,
                            limits=Limits(args.cell_timeout, args.notebook_timeout, args.memory_mb), jobs=args.jobs)
    except RuntimeError as exc:
        print(f"make grade: {exc}", file=sys.stderr)
        return 2
    totals: dict[str, list[float]] = {}
    for r in rows:
        acc = totals.setdefault(r.student, [0.0, 0.0])
        acc[0] += r.points
        acc[1] += r.max_points
    for student, (p, m) in totals.items():
        print(f"{student}: {p:g} / {m:g}")
    print(f"grade sheet: {args.out} ({time.monotonic() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
