"""The kernel that runs a submission inside the sandbox (``python -P -m course_utils.instructor._sandbox_kernel``).

It knows nothing secret: it receives, one JSON request per line on its standard input, the
cells to run (the notebook's setup and locked cells and the student's answers — never a test
cell), and requests to call one of the submission's functions on arguments the grader sends.
It answers on its original standard output with plain data (:mod:`course_utils.instructor.probes`).
Whatever the submission prints goes to ``/dev/null``. Each request has a time limit
(``SIGALRM``); the grader also kills the whole sandbox if an answer is late.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import sys


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise _Timeout()


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
            if "module" in target:
                fn = importlib.import_module(target["module"])
                for part in target["qualname"].split("."):
                    fn = getattr(fn, part)
            else:
                fn = resolve(target["name"])
            args = probes.decode(req["args"], tensor=tensor, resolve=resolve)
            kwargs = probes.decode(req["kwargs"], tensor=tensor, resolve=resolve)
            value = fn(*args, **kwargs)
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
