"""The kernel that runs a submission inside the sandbox (``python -P -m course_utils.instructor._sandbox_kernel``).

It knows nothing secret: it receives, one JSON request per line on its standard input, the
cells to run (the notebook's setup and locked cells and the student's answers — never a test
cell), and requests to call one of the submission's functions on arguments the grader sends.
It answers on its original standard output with plain data (:mod:`course_utils.instructor.probes`).
Whatever the submission prints goes to ``/dev/null``. Each request has a time limit
(``SIGALRM``); the grader also kills the whole sandbox if an answer is late.

A trusted call (a ``course_utils`` function the grader asks for, e.g. ``train_labels`` given the
student's target) runs in this process after the student's code, so the student could have patched
the library it uses (``sklearn.metrics.adjusted_rand_score = lambda *a: 1.0``, a replaced
``fit_cluster``, a swapped ``__code__``). :class:`_Pristine` snapshots the libraries before any
student code runs, puts every changed name back before a trusted call, refuses the call while a
thread the student started is alive, and fails it if the library changed *during* the call (the
student's own function runs inside it): a forged score is impossible, not just unlikely.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import threading
import types

#: Top-level packages a trusted call may run; they are snapshot before the submission runs.
TRUSTED = ("course_utils", "sklearn", "numpy", "scipy", "keras", "tensorflow", "importlib", "builtins",
           "threading", "signal", "json", "math", "random", "functools", "operator")
#: Modules imported before the snapshot, so a trusted call never imports a fresh copy the student patched first.
PRELOAD = ("course_utils.instructor.scoring", "course_utils.targets.clustering", "course_utils.targets.assignment",
           "course_utils.targets.segments", "course_utils.targets.restarts", "course_utils.metrics",
           "course_utils.estimators.kmeans", "course_utils.estimators.kohonen", "course_utils.estimators.gan_kmeans",
           "sklearn.metrics", "sklearn.cluster", "sklearn.neighbors", "scipy.sparse", "scipy.optimize")


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _callable_like(v) -> bool:
    """Code, not data: functions, classes, plain modules (not lazy loaders, which replace themselves)."""
    if isinstance(v, types.ModuleType):
        return type(v) is types.ModuleType
    return isinstance(v, (type, classmethod, staticmethod, property)) or callable(v)


class _Pristine:
    """The trusted libraries' code as it was before the submission ran, and the means to restore it.

    Only code is guarded — functions (their body too), classes, modules, callables, and the
    ``course_utils`` modules' settings dictionaries: libraries legitimately rebind data globals
    (caches, counters) while they run, and that must not fail an honest submission.
    """

    def __init__(self):
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a missing optional module is not trusted code
                pass
        self.modules = {n: m for n, m in list(sys.modules.items())
                        if isinstance(m, types.ModuleType) and n.split(".")[0] in TRUSTED}
        self.names = {n: {k: v for k, v in vars(m).items() if _callable_like(v)} for n, m in self.modules.items()}
        self.settings = {(n, k): (v, dict(v)) for n, m in self.modules.items() if n.startswith("course_utils")
                         for k, v in vars(m).items() if type(v) is dict}
        self.classes: dict[type, dict] = {}
        for n, d in self.names.items():
            for v in d.values():
                if isinstance(v, type) and getattr(v, "__module__", None) == n and v not in self.classes:
                    self.classes[v] = {k: a for k, a in vars(v).items()
                                       if _callable_like(a) and k not in ("__dict__", "__weakref__", "__class__")}
        self.code = {}
        for d in (*self.names.values(), *self.classes.values()):
            for v in d.values():
                if isinstance(v, (classmethod, staticmethod, types.MethodType)):
                    v = v.__func__
                if isinstance(v, types.FunctionType):
                    self.code[v] = (v.__code__, v.__defaults__, v.__kwdefaults__)
        self.threads = set(threading.enumerate())

    def changed(self) -> list[str]:
        """What differs from the snapshot (names, for the message)."""
        out = [n for n, m in self.modules.items() if sys.modules.get(n) is not m]
        for n, then in self.names.items():
            now = vars(self.modules[n])
            out += [f"{n}.{k}" for k, v in then.items() if now.get(k) is not v]
        for c, then in self.classes.items():
            out += [f"{c.__qualname__}.{k}" for k, v in then.items() if c.__dict__.get(k) is not v]
        out += [f.__qualname__ for f, (code, d, kw) in self.code.items()
                if f.__code__ is not code or f.__defaults__ is not d or f.__kwdefaults__ is not kw]
        out += [f"{n}.{k}" for (n, k), (obj, items) in self.settings.items()
                if vars(self.modules[n]).get(k) is not obj or obj != items]
        return out

    def restore(self) -> None:
        """Put back every module, callable, class attribute, function body and setting the submission changed."""
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)
        threading.setprofile(None)
        for n, m in self.modules.items():
            sys.modules[n] = m
            now = vars(m)
            for k, v in self.names[n].items():
                if now.get(k) is not v:
                    now[k] = v
            if "__getattr__" not in self.names[n]:      # a module-level __getattr__ the student added
                now.pop("__getattr__", None)
        for c, then in self.classes.items():
            for k, v in then.items():
                if c.__dict__.get(k) is not v:
                    try:
                        setattr(c, k, v)
                    except (AttributeError, TypeError):
                        pass
        for f, (code, d, kw) in self.code.items():
            if f.__code__ is not code or f.__defaults__ is not d or f.__kwdefaults__ is not kw:
                f.__code__, f.__defaults__, f.__kwdefaults__ = code, d, kw
        for (n, k), (obj, items) in self.settings.items():
            vars(self.modules[n])[k] = obj
            if obj != items:
                obj.clear()
                obj.update(items)

    def foreign_threads(self) -> list[str]:
        """Threads started by the submission that are still running."""
        return [t.name for t in threading.enumerate() if t not in self.threads and t.is_alive()]


def main() -> int:
    """Serve the grader's requests on the original stdin/stdout until it says stop; return 0."""
    rfile = os.fdopen(os.dup(0), "r", encoding="utf-8")
    wfile = os.fdopen(os.dup(1), "w", encoding="utf-8")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    from IPython.core.interactiveshell import InteractiveShell

    from course_utils.instructor import probes

    shell = InteractiveShell.instance()
    pristine = _Pristine()                       # before any student code runs
    ns = shell.user_ns
    kept: dict[str, object] = {}

    def keep(obj) -> str:
        name = f"_kept_{len(kept)}"
        kept[name] = obj
        return name

    def resolve(name: str):
        return kept[name] if name in kept else ns[name]

    def tensor(arr):
        from keras import ops
        return ops.convert_to_tensor(arr)

    def run(req):
        op = req.get("op")
        if op == "exec":
            before = {k: id(v) for k, v in ns.items()}
            res = shell.run_cell(req["source"], store_history=False, silent=True)
            err = res.error_before_exec or res.error_in_exec
            names = {}
            for k in req.get("names", []):
                if k in ns:
                    names[k] = "callable" if callable(ns[k]) else "data"
            changed = [k for k, v in ns.items() if before.get(k) != id(v)][:200]
            return {"ok": err is None, "error": _err(err), "names": names, "changed": changed}
        if op == "get":
            return {"ok": True, "value": probes.encode(ns[req["name"]], refs=keep)}
        if op in ("call", "make"):
            target = req["target"]
            trusted = "module" in target
            if trusted:
                if pristine.foreign_threads():
                    raise RuntimeError("a thread started by the submission is still running: grading refuses "
                                       "to run the course's code beside it (do not start threads)")
                pristine.restore()
                fn = sys.modules.get(target["module"]) or importlib.import_module(target["module"])
                for part in target["qualname"].split("."):
                    fn = getattr(fn, part)
            else:
                fn = resolve(target["name"])
            args = probes.decode(req["args"], tensor=tensor, resolve=resolve)
            kwargs = probes.decode(req["kwargs"], tensor=tensor, resolve=resolve)
            value = fn(*args, **kwargs)
            if trusted and (changed := pristine.changed()):
                pristine.restore()
                raise RuntimeError("the submission changed the course's or a library's code while it was graded "
                                   f"({', '.join(changed[:3])}): that result does not count")
            return {"ok": True, "value": keep(value) if op == "make" else probes.encode(value, refs=keep)}
        raise ValueError(f"unknown request {op!r}")

    signal.signal(signal.SIGALRM, _alarm)
    for line in rfile:
        req = None
        try:
            req = json.loads(line)
            signal.setitimer(signal.ITIMER_REAL, float(req.get("timeout", 60)))
            try:
                reply = run(req)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _Timeout:
            reply = {"ok": False, "error": ["TimeoutError", "the time limit for this step was reached"]}
        except BaseException as exc:  # the submission's error, reported as text
            reply = {"ok": False, "error": _err(exc)}
        reply["id"] = req.get("id") if isinstance(req, dict) else None
        try:
            text = json.dumps(reply, allow_nan=False)
        except (TypeError, ValueError) as exc:
            text = json.dumps({"ok": False, "id": reply["id"],
                               "error": ["TypeError", f"answer could not be encoded: {exc}"[:300]]})
        wfile.write(text + "\n")
        wfile.flush()
    return 0


def _err(exc) -> list[str] | None:
    if exc is None:
        return None
    if isinstance(exc, _Timeout):
        return ["TimeoutError", "the time limit for this step was reached"]
    try:
        return [type(exc).__name__[:100], str(exc)[:500]]
    except BaseException:
        return [type(exc).__name__[:100], "(message could not be printed)"]


if __name__ == "__main__":
    sys.exit(main())
