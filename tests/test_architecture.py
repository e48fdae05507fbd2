"""The package's shape, as rules that fail when broken (issue 13).

* every module imports alone, in a fresh interpreter;
* no import cycle between the package's modules (an import inside a function counts);
* nothing outside ``course_utils.instructor`` imports from it;
* a ``_private`` module or name is used only inside its own subpackage;
* the shared checks (integers, ``random_state``, ``n_neighbors``, fitted state) live once, in
  ``course_utils.validation``;
* no module over 400 lines.

The import graph is read from the source (``ast``), not from ``sys.modules``, so an import hidden
in a function body is an edge like any other.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "course_utils"
ROOT = PACKAGE.parent
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _package_of(module: str) -> str:
    """The (sub)package a module belongs to: ``course_utils.targets`` for ``course_utils.targets.losses``."""
    path = MODULES[module]
    return module if path.name == "__init__.py" else module.rsplit(".", 1)[0]


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = _package_of(module).split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, str | None, int]]:
    """Every import of ``module`` of the package, anywhere in its source: ``(target module, name, line)``.

    ``name`` is the imported name (``from m import name``) when it is not itself a module.
    """
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names if a.name.startswith("course_utils")]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            if not target.startswith("course_utils"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, None, node.lineno) if sub in MODULES else (target, alias.name, node.lineno))
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (explicitly; parents' ``__init__`` are not counted)."""
    return {m: {t for t, _, _ in imports(m) if t in MODULES and t != m} for m in MODULES}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_graph_reader_sees_function_level_imports_and_cycles():
    # the reader itself, on a graph whose answer is known
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    # ``cluster()`` imports the lecture-05 module inside its body: the reader must see that edge
    assert "course_utils.targets.clustering" in import_graph()["course_utils"]


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_nothing_outside_instructor_imports_it():
    bad = [f"{m}:{line} imports {t}" for m in MODULES if not m.startswith("course_utils.instructor")
           for t, _, line in imports(m) if t.startswith("course_utils.instructor")]
    assert not bad, bad


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def test_private_names_stay_inside_their_subpackage():
    bad = []
    for m in MODULES:
        for target, name, line in imports(m):
            if target not in MODULES:
                continue
            owner = _package_of(target)
            if _private(target.removeprefix("course_utils")) and _package_of(m) != owner:
                bad.append(f"{m}:{line} imports the private module {target}")
            if name and name.startswith("_") and not name.startswith("__") and _package_of(m) != owner:
                bad.append(f"{m}:{line} imports the private name {target}.{name}")
    assert not bad, bad


def test_every_module_is_short():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


# -- shared checks live in validation ----------------------------------------------------------
def _hand_written_int_checks(path: Path) -> list[int]:
    """Lines with ``isinstance(v, bool) or not isinstance(v, int...)``: an integer check by hand."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            calls = [v.operand if isinstance(v, ast.UnaryOp) else v for v in node.values]
            kinds = {ast.unparse(c.args[1]) for c in calls
                     if isinstance(c, ast.Call) and getattr(c.func, "id", "") == "isinstance" and len(c.args) == 2}
            if "bool" in kinds and any("int" in k and "float" not in k for k in kinds):
                lines.append(node.lineno)
    return lines


# Modules whose hand-written integer checks have not moved to validation.check_int yet (none left).
PENDING: set[str] = set()


def test_integer_checks_live_in_validation():
    bad = {m: lines for m, p in MODULES.items() if m not in {"course_utils.validation", *PENDING}
           and (lines := _hand_written_int_checks(p))}
    assert not bad, f"hand-written integer checks (use validation.check_int): {bad}"


def test_shared_checks_are_not_redefined_or_bypassed():
    """random_state and fitted state go through validation (which wraps scikit-learn's checks)."""
    redefined = {"_check_int", "_rng", "_check_k", "_check_n", "_check_n_neighbors"}
    bad = []
    for m, p in MODULES.items():
        if m == "course_utils.validation":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in redefined:
                bad.append(f"{m}:{node.lineno} defines {node.name} (use course_utils.validation)")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn.utils"):
                bad += [f"{m}:{node.lineno} imports {a.name} from scikit-learn (use course_utils.validation)"
                        for a in node.names if a.name in {"check_random_state", "check_is_fitted"}]
    assert not bad, bad


# -- each module imports alone -------------------------------------------------------------------
# One interpreter imports the heavy third-party libraries once, then forks a child per module: each
# child starts with no course_utils module loaded and imports exactly one, so a module that works
# only after another one was imported first (a partially initialised cycle) fails here.
_FORK_SERVER = r"""
import importlib, os, sys, traceback
for lib in ("numpy", "scipy.sparse", "sklearn.base", "sklearn.cluster", "sklearn.neighbors", "keras",
            "tensorflow", "matplotlib.pyplot", "nbformat"):
    importlib.import_module(lib)
assert not [m for m in sys.modules if m.startswith("course_utils")]
failed = 0
for name in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            importlib.import_module(name)
            code, msg = 0, b""
        except BaseException:
            code, msg = 1, traceback.format_exc().strip().splitlines()[-1].encode()
        os.write(w, msg)
        os._exit(code)
    os.close(w)
    msg = os.read(r, 4096).decode()
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if status:
        failed += 1
        print(f"{name}: {msg or status}")
sys.exit(1 if failed else 0)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_every_module_imports_alone_in_a_fresh_interpreter():
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", _FORK_SERVER, *sorted(MODULES)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


def test_a_module_that_needs_another_imported_first_is_caught(tmp_path):
    """The import check itself: a two-module cycle that only works in one order must fail."""
    pkg = tmp_path / "cyc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\nX = 1\n")
    (pkg / "b.py").write_text("from .a import X\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", "import sys; sys.argv[1:] = ['cyc.b', 'cyc.a']\n"
                           + _FORK_SERVER.split("failed = 0", 1)[0].split("for lib in", 1)[0]
                           + "failed = 0" + _FORK_SERVER.split("failed = 0", 1)[1]],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "cyc.a" in proc.stdout and "cyc.b" not in proc.stdout


# Modules, and single functions of a module, whose docstrings do not have numpydoc Parameters
# sections yet (none left: every module has been converted).
DOCSTRINGS_PENDING: set[str] = set()
FUNCTIONS_PENDING: dict[str, set[str]] = {}


def _documented(doc: str, name: str) -> bool:
    """numpydoc: the parameter has its own entry ``name : type`` (or ``*args``/``**kwargs`` alone)."""
    return re.search(rf"^\s*\*{{0,2}}{re.escape(name)}\s*(:.*)?$", doc, re.M) is not None


def test_the_docstring_reader_wants_one_entry_per_parameter():
    assert _documented("Parameters\n----------\nX : array\n    The data.", "X")
    assert not _documented("Parameters\n----------\nX, y : arrays", "y")
    assert not _documented("X : array — the data; y is ignored", "y")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_public_functions_have_numpydoc_parameters(module):
    """Every public function and class has a docstring; a function's lists each parameter once."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    problems = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        doc = ast.get_docstring(node)
        if not doc:
            problems.append(f"{node.name}: no docstring")
            continue
        if isinstance(node, ast.ClassDef) or module in DOCSTRINGS_PENDING \
                or node.name in FUNCTIONS_PENDING.get(module, ()):
            continue
        args = node.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        missing = [n for n in names if not _documented(doc, n)]
        if missing:
            problems.append(f"{node.name}: no 'name : type' entry for {missing}")
    assert not problems, f"{module}: {problems}"
