"""One notebook graded across the sandbox boundary: the trusted side.

:class:`SandboxClient` runs the submission's kernel (:mod:`._sandbox_kernel`) in the sandbox and
talks to it in plain data. :func:`grade_cells` walks the **master** notebook: locked cells run in
both places; an answer cell runs only in the sandbox, and the names the *master's* answer defines
become proxies in the grader (a call sends the arguments and returns plain data; a value is
fetched once), so names the student rebinds (``X``, ``np``, ``KMeans``…) change nothing here; a
test cell (visible and hidden part) runs only in the grader — a notebook or ``course_utils``
function given one of the student's functions runs in the sandbox, and only its result returns
(one holding a secret, ``score_target``'s labels, splits: ``__grader_split__``).
A test scores full points when it raises nothing, 0 when it raises, and its last expression's
value when that is a number (partial credit, as nbgrader). Nothing the kernel prints counts.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import linecache
import os
import select
import signal
import subprocess
import sys
import time
import types

import numpy as np

from . import probes, sandbox

__all__ = ["SandboxClient", "SandboxGone", "SubmissionError", "grade_cells"]


class SandboxGone(RuntimeError):
    """The sandboxed kernel stopped (crash, exit, limit) or did not answer in time."""


class SubmissionError(Exception):
    """An error raised by the submission's own code (type name and message are the submission's)."""

    def __init__(self, ename: str, evalue: str):
        super().__init__(f"{ename}: {evalue}")
        self.ename, self.evalue = ename, evalue


_PASS_THROUGH = {name for name, obj in vars(builtins).items() if isinstance(obj, type) and issubclass(obj, Exception)
                 and not issubclass(obj, (StopIteration, StopAsyncIteration))}


def _raise_from_submission(error) -> None:
    ename, evalue = (str(error[0])[:100], str(error[1])[:500]) if isinstance(error, list) and len(error) == 2 \
        else ("Error", "unknown error")
    if ename in _PASS_THROUGH:  # tests may expect e.g. a ValueError from the student's function
        exc = (cls := type(f"Submission{ename}", (getattr(builtins, ename), SubmissionError), {})).__new__(cls)
        SubmissionError.__init__(exc, ename, evalue)
        raise exc
    raise SubmissionError(ename, evalue)


class SandboxClient:
    """The sandboxed kernel of one submission, and the requests the grader makes to it."""

    def __init__(self, limits: sandbox.SandboxLimits, *, uid: int, use_sandbox: bool = True):
        argv = [sys.executable, "-P", "-m", "course_utils.instructor._sandbox_kernel"]
        if use_sandbox:
            cmd, fds = sandbox.command(argv, limits, uid=uid)
            env = None
        else:
            cmd, fds = argv, []
            env = dict(sandbox.ENV, PATH=os.environ.get("PATH", ""), HOME=os.environ.get("HOME", "/tmp"),
                       PYTHONPATH=str(sandbox._PACKAGE.parent))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     pass_fds=fds, preexec_fn=sandbox.preexec(limits), env=env,
                                     start_new_session=True)
        for fd in fds:
            os.close(fd)
        self.dead: str | None = None
        self._buf = b""

    def request(self, req: dict, timeout: float) -> dict:
        """Send one request; wait up to ``timeout`` (+ a grace) for the answer, else kill the sandbox."""
        if self.dead:
            raise SandboxGone(self.dead)
        try:
            self.proc.stdin.write((json.dumps(dict(req, timeout=timeout), allow_nan=False) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            self._stop("the submission's kernel stopped")
        deadline = time.monotonic() + timeout + 15
        while True:  # skip late answers to requests that were interrupted here
            reply = self._receive(deadline)
            if reply.get("id") == req.get("id"):
                return reply

    def _receive(self, deadline: float) -> dict:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop("the submission did not answer in time")
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    self._stop("the submission's kernel stopped")
                self._buf += chunk
                if len(self._buf) > probes.MAX_MESSAGE:
                    self._stop("the submission sent too much data")
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            reply = json.loads(line)
        except ValueError:
            raise probes.ProtocolError("malformed answer from the sandbox") from None
        if type(reply) is not dict or type(reply.get("ok")) is not bool:
            raise probes.ProtocolError("malformed answer from the sandbox")
        return reply

    def _stop(self, why: str):
        self.close()
        self.dead = why
        raise SandboxGone(why)

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def _bound_names(source: str) -> list[str]:
    """Top-level names an answer cell of the master binds (its public interface)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names += [n.id for n in ast.walk(t) if isinstance(n, ast.Name)]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name).split(".")[0] for a in node.names]
    return list(dict.fromkeys(names))


class _CallRewriter(ast.NodeTransformer):
    """``f(a, b=c)`` -> ``__grader_call__(f, a, b=c)`` so calls involving the submission are routed."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "super":
            return node
        return ast.copy_location(ast.Call(ast.Name("__grader_call__", ast.Load()), [node.func] + node.args,
                                          node.keywords), node)


def _source_holder(name: str, student_source: str, cell_no: int):
    """A function whose ``inspect.getsource`` is the student's ``def name`` (text, never run here)."""
    filename, lines = f"<submission cell {cell_no}>", student_source.splitlines(True)
    try:
        tree = ast.parse(student_source)
        lineno = next(n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    except (SyntaxError, StopIteration):
        return None
    linecache.cache[filename] = (len(student_source), None, lines, filename)
    holder = compile("def _():\n    pass\n", filename, "exec").co_consts[0]
    code = holder.replace(co_filename=filename, co_firstlineno=lineno, co_name=name)
    return type(lambda: None)(code, {})


_SETUP_TIMEOUT = 300  # s a locked cell may take at least: a slow TensorFlow import is not the student's


class _TestTimeout(Exception):
    """A test ran past its time limit."""


def _on_alarm(signum, frame):  # noqa: ARG001
    raise _TestTimeout()


class _Session:
    """The grader's namespace for one notebook, with proxies for the submission's names."""

    def __init__(self, client: SandboxClient, cell_timeout: int):
        self.client, self.cell_timeout, self.seq = client, cell_timeout, 0
        self.ns: dict = {"__name__": "__main__", "__builtins__": builtins, "__grader_call__": self.call}
        self.proxies: dict[int, str] = {}
        self.recipes: dict[int, tuple] = {}
        self._keep: list = []

    def request(self, req: dict, timeout: float | None = None) -> dict:
        self.seq += 1
        return self.client.request(dict(req, id=self.seq), timeout or self.cell_timeout)

    def _tensor(self, arr):
        try:
            from keras import ops
            return ops.convert_to_tensor(arr)
        except Exception:
            return arr

    def _known(self, obj) -> str | None:
        return self._ref(obj) if id(obj) in self.proxies or id(obj) in self.recipes else None

    def _ref(self, obj) -> str:
        if id(obj) in self.proxies:
            return self.proxies[id(obj)]
        if id(obj) in self.recipes:  # built here by a course_utils call: build the same in the sandbox
            _, target, args, kwargs = self.recipes.pop(id(obj))
            reply = self.request({"op": "make", "target": target, **self._encode_args(args, kwargs)})
            if not reply["ok"]:
                _raise_from_submission(reply.get("error"))
            self.proxies[id(obj)] = str(reply.get("value"))
            self._keep.append(obj)
            return self.proxies[id(obj)]
        raise TypeError(f"a {type(obj).__name__} cannot be sent to the submission (plain data only)")

    def _encode_args(self, args, kwargs) -> dict:
        return {"args": probes.encode(list(args), refs=self._ref, known=self._known),
                "kwargs": probes.encode(dict(kwargs), refs=self._ref, known=self._known)}

    def remote(self, target: dict, args, kwargs):
        reply = self.request({"op": "call", "target": target, **self._encode_args(args, kwargs)})
        if not reply["ok"]:
            _raise_from_submission(reply.get("error"))
        return probes.decode(reply.get("value"), tensor=self._tensor, resolve=self.proxy)

    def _remote_fn(self, g, *args, **kwargs):
        return self.remote({"module": g.__module__, "qualname": g.__qualname__}, args, kwargs)
    def proxy(self, name: str, source: str = "", cell_no: int = 0):
        def submission_function(*args, **kwargs):
            return self.remote({"name": name}, args, kwargs)
        submission_function.__name__ = submission_function.__qualname__ = name
        holder = _source_holder(name, source, cell_no) if source else None
        if holder is not None:
            submission_function.__wrapped__ = holder
        self.proxies[id(submission_function)] = name
        self._keep.append(submission_function)
        return submission_function

    def _involves(self, value, depth=0) -> bool:
        if id(value) in self.proxies:
            return True
        if depth < 2 and isinstance(value, (list, tuple)):
            return any(self._involves(v, depth + 1) for v in value)
        if depth < 2 and isinstance(value, dict):
            return any(self._involves(v, depth + 1) for v in value.values())
        return False

    def call(self, f, *args, **kwargs):
        if id(f) in self.proxies:
            return f(*args, **kwargs)
        target = None
        if getattr(f, "__globals__", None) is self.ns:
            target = {"name": f.__name__}
        elif str(getattr(f, "__module__", "")).startswith("course_utils.") and isinstance(f, types.FunctionType):
            target = {"module": f.__module__, "qualname": f.__qualname__}
        if target is not None and any(self._involves(a) for a in (*args, *kwargs.values())):
            if (split := getattr(f, "__grader_split__", None)) and "module" in target:  # e.g. score_target:
                return split(self._remote_fn, *args, **kwargs)       # train there, the truth stays here
            return self.remote(target, args, kwargs)
        result = f(*args, **kwargs)
        if target is not None and "module" in target and not isinstance(result, (np.ndarray, int, float, str,
                                                                                 tuple, list, type(None))):
            self.recipes[id(result)] = (result, target, args, kwargs)  # e.g. a Graph the student's function gets
        return result

    def run_here(self, source: str, name: str):
        """Run trusted (master) code here; return the last expression's value."""
        tree = _CallRewriter().visit(ast.parse(source))
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        ast.fix_missing_locations(tree)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(tree, name, "exec"), self.ns)
            if last is not None:
                expr = ast.fix_missing_locations(ast.Expression(last.value))
                return eval(compile(expr, name, "eval"), self.ns)
        return None


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _status(exc: BaseException, name: str, source: str) -> str:
    """What a failed test says: the submission's own error (labelled), or where the test failed."""
    if isinstance(exc, SubmissionError):
        return f"failed: error in the submission's code: {exc.ename}: {exc.evalue}"
    if isinstance(exc, _TestTimeout):
        return "failed: time limit of the test reached"
    if isinstance(exc, probes.ProtocolError):
        return "failed: the submission returned something that is not plain data"
    hidden_from = next((i + 1 for i, l in enumerate(source.splitlines()) if "BEGIN HIDDEN TESTS" in l), 10**9)
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == name:
            line = tb.tb_lineno
        tb = tb.tb_next
    if line is None or line >= hidden_from:
        return "failed: a hidden test"
    return f"failed: visible test, line {line}: {type(exc).__name__}: {str(exc)[:200]}"


def grade_cells(master, answers: dict[str, str], client: SandboxClient, *, cell_timeout: int) -> dict:
    """Run ``master`` with the submission's ``answers`` ({grade_id: source}) across the boundary.

    Parameters
    ----------
    master : nbformat.NotebookNode
    answers : dict
    client : SandboxClient
    cell_timeout : int
        Seconds each answer cell and each test may take.

    Returns ``{grade_id: (points, status)}`` for every test cell; stops early (the rest get
    ``kernel stopped: …``) when the sandbox dies.
    """
    session = _Session(client, cell_timeout)
    results: dict[str, tuple[float, str]] = {}
    old = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        for no, cell in enumerate(master.cells):
            meta = _meta(cell)
            if cell.cell_type != "code":
                continue
            gid = meta.get("grade_id", f"cell{no}")
            if client.dead:
                if meta.get("grade") and not meta.get("solution"):
                    results[gid] = (0.0, f"kernel stopped: {client.dead}")
                continue
            try:
                if meta.get("solution"):
                    _answer(session, cell, answers.get(gid), no)
                elif meta.get("grade"):
                    results[gid] = _test(session, cell, gid, float(meta.get("points", 0)))
                else:  # the master's own cells (setup: TensorFlow's import) get a generous limit
                    session.request({"op": "exec", "source": cell.source, "names": []},
                                    timeout=max(cell_timeout, _SETUP_TIMEOUT))
                    with contextlib.suppress(Exception):  # e.g. an ungraded check that calls the answers
                        _alarmed(max(cell_timeout, _SETUP_TIMEOUT), session.run_here, cell.source, f"<cell {no}>")
            except SandboxGone as exc:
                if meta.get("grade") and not meta.get("solution"):
                    results[gid] = (0.0, f"kernel stopped: {exc}")
            except Exception:  # a malformed answer from the sandbox: that cell's names stay unbound
                pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return results


def _alarmed(seconds: float, fn, *args):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _answer(session: _Session, cell, student_source: str | None, no: int) -> None:
    names = _bound_names(cell.source.replace("### ", "# "))
    for name in names:
        session.ns.pop(name, None)
    if student_source is None:
        return
    reply = session.request({"op": "exec", "source": student_source, "names": names})
    got = reply.get("names") if type(reply.get("names")) is dict else {}
    for name in names:
        kind = got.get(name)
        if kind == "callable":
            session.ns[name] = session.proxy(name, student_source, no)
        elif kind == "data":
            value = session.request({"op": "get", "name": name})
            if value["ok"]:
                with contextlib.suppress(probes.ProtocolError):
                    session.ns[name] = probes.decode(value.get("value"), tensor=session._tensor,
                                                     resolve=session.proxy)


def _test(session: _Session, cell, gid: str, max_points: float) -> tuple[float, str]:
    name = f"<test {gid}>"
    try:
        value = _alarmed(session.cell_timeout, session.run_here, cell.source, name)
    except SandboxGone:
        raise
    except Exception as exc:
        return 0.0, _status(exc, name, cell.source)
    if type(value) in (int, float) or type(value).__module__ == "numpy" and hasattr(value, "dtype") \
            and value.shape == () and value.dtype.kind in "iuf":
        points = min(max(float(value), 0.0), max_points)
        if points == points:  # not NaN
            return points, "passed" if points == max_points else "partial"
        return 0.0, "failed: partial credit was not a number"
    return max_points, "passed"
