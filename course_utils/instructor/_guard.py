"""Kernel-side guard for autograding (the code is sent into the student's kernel as text).

Two pieces:

* :func:`install_source` — the first cell of every graded notebook, run before any student code.
  It installs a Python *audit hook* (which cannot be removed once added) that refuses to open
  files under the masters, the submissions and the results folders, and refuses to start other
  programs; then it snapshots the modules the tests rely on (``builtins``, ``numpy``, ``math``…)
  and IPython's hooks.
* :func:`restore_expression` — an expression the grader evaluates through the kernel's
  ``user_expressions`` right before each test cell. ``user_expressions`` bypass IPython's input
  transformers, so a student cannot swallow it. It puts back anything a student patched
  (``np.allclose = lambda *a: True``, a custom exception handler, an input transformer that
  blanks the tests…) and returns ``True``; anything else marks the submission as tampered.
"""
from __future__ import annotations

import secrets

__all__ = ["new_nonce", "install_source", "restore_expression"]


def new_nonce() -> str:
    """A random name part, so student code cannot guess the guard's function name."""
    return secrets.token_hex(8)


def install_source(nonce: str, blocked_dirs: list[str]) -> str:
    """Source of the guard cell inserted first into every graded notebook."""
    return f'''
def _grader_install_{nonce}(blocked):
    import builtins, math, operator, os, sys
    import numpy, numpy.testing
    blocked = tuple(os.path.realpath(b).rstrip(os.sep) + os.sep for b in blocked)
    spawn = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
             "os.forkpty", "pty.spawn")

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.path.realpath(os.fsdecode(args[0])) + os.sep
            if path.startswith(blocked):
                raise PermissionError("grading: reading course masters or other submissions is not allowed")
        elif event in spawn:
            raise PermissionError("grading: starting other programs is not allowed")

    sys.addaudithook(hook)
    mods = [builtins, math, operator, numpy, numpy.testing, numpy.linalg]
    snap = [(m.__dict__, dict(m.__dict__)) for m in mods]
    real = {{"np": numpy, "numpy": numpy, "math": math}}
    ip = get_ipython()
    hooks = {{name: list(getattr(ip, name)) for name in
             ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")}}
    events = {{k: list(v) for k, v in ip.events.callbacks.items()}}
    sys_hooks = (sys.excepthook, sys.displayhook, sys.stdout, sys.stderr)

    def restore():
        for d, saved in snap:
            for k, v in saved.items():
                if d.get(k) is not v:
                    d[k] = v
        ns = ip.user_ns
        for k, mod in real.items():
            if k in ns and ns[k] is not mod:
                ns[k] = mod
        for name, saved in hooks.items():
            getattr(ip, name)[:] = saved
        for k, saved in events.items():
            ip.events.callbacks[k][:] = saved
        ip.custom_exceptions = ()
        sys.excepthook, sys.displayhook, sys.stdout, sys.stderr = sys_hooks
        return True

    globals()["_grader_restore_{nonce}"] = restore


_grader_install_{nonce}({blocked_dirs!r})
del _grader_install_{nonce}
'''.strip()


def restore_expression(nonce: str) -> str:
    """The expression evaluated (via ``user_expressions``) before each test cell."""
    return f"_grader_restore_{nonce}()"
