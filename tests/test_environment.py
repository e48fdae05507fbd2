"""The set-up files agree with each other and with the course's rules."""
import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _requirements():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines()]
    return [l for l in lines if l and not l.startswith("#")]


def test_environment_yml_mirrors_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    deps = env["dependencies"]
    assert "python=3.11" in deps and "pip" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    pins = [p for p in pip if not p.startswith("-e")]
    assert [str(Requirement(p)) for p in pins] == [str(Requirement(r)) for r in _requirements()]


def test_every_requirement_is_pinned_exactly():
    for line in _requirements():
        req = Requirement(line)
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", line


def test_stack_named_by_the_course_is_pinned():
    names = {Requirement(r).name.lower(): str(next(iter(Requirement(r).specifier)).version) for r in _requirements()}
    expected = {"tensorflow-cpu": "2.21", "tensorflow": "2.21", "keras": "3.15", "scikit-learn": "1.9",
                "matplotlib": "3.11", "jupyterlab": "4.6", "ipywidgets": "8.1", "nbval": "0.11",
                "nbgrader": "0.9.6", "pytest": "9"}
    for name, prefix in expected.items():
        assert names[name].startswith(prefix), f"{name} {names[name]} is not {prefix}.x"
    assert names["numpy"].startswith("2.")


def test_tensorflow_cpu_only_on_linux_x86_64():
    reqs = {Requirement(r).name: Requirement(r) for r in _requirements()}
    cpu, full = reqs["tensorflow-cpu"].marker, reqs["tensorflow"].marker
    for env, want_cpu in [({"sys_platform": "linux", "platform_machine": "x86_64"}, True),
                          ({"sys_platform": "darwin", "platform_machine": "arm64"}, False),
                          ({"sys_platform": "linux", "platform_machine": "aarch64"}, False),
                          ({"sys_platform": "win32", "platform_machine": "AMD64"}, False)]:
        assert cpu.evaluate(env) is want_cpu and full.evaluate(env) is (not want_cpu)


def test_makefile_exports_quiet_tensorflow_and_ci_runs_make_test():
    make = (ROOT / "Makefile").read_text()
    for var, val in [("KERAS_BACKEND", "tensorflow"), ("TF_CPP_MIN_LOG_LEVEL", "3"), ("TF_ENABLE_ONEDNN_OPTS", "0")]:
        assert re.search(rf"^export {var} := {val}$", make, re.M), var
    assert re.search(r"^lab: setup", make, re.M) and re.search(r"^test: setup", make, re.M)
    assert "127.0.0.1" in make
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_names_the_two_commands_first():
    readme = (ROOT / "README.md").read_text()
    head = readme[:1500]
    assert "make lab" in head and "make test" in head


# -- pyproject: every runtime dependency, as ranges; one version string ---------------------------
def _pyproject():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


#: import name -> distribution names that provide it
_DISTS = {"sklearn": {"scikit-learn"}, "IPython": {"ipython"}, "tensorflow": {"tensorflow", "tensorflow-cpu"},
          "yaml": {"pyyaml"}}
#: imported only when a user picks that Keras backend (course_utils.targets.base): not a dependency
_OPTIONAL = {"jax"}


def _third_party_imports() -> set[str]:
    import ast
    import sys

    names = set()
    for path in (ROOT / "course_utils").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in {"course_utils", "__future__"}}


def test_pyproject_declares_every_imported_package_as_a_range():
    deps = [Requirement(d) for d in _pyproject()["project"]["dependencies"]]
    declared = {d.name.lower() for d in deps}
    missing = {n for n in _third_party_imports() - _OPTIONAL if not _DISTS.get(n, {n.lower()}) & declared}
    assert not missing, f"imported by course_utils but not in pyproject's dependencies: {missing}"
    for d in deps:
        ops = {s.operator for s in d.specifier}
        assert ">=" in ops and "<" in ops, f"{d}: give a range (>=lower,<upper); exact pins go in requirements.txt"


def test_requirements_pins_lie_in_pyprojects_ranges():
    ranges = {Requirement(d).name.lower(): Requirement(d) for d in _pyproject()["project"]["dependencies"]}
    for line in _requirements():
        pin = Requirement(line)
        if pin.name.lower() in ranges:
            version = next(iter(pin.specifier)).version
            assert ranges[pin.name.lower()].specifier.contains(version), f"{pin} is outside {ranges[pin.name.lower()]}"
    pinned = {Requirement(r).name.lower() for r in _requirements()}
    assert set(ranges) <= pinned, f"not pinned in requirements.txt: {set(ranges) - pinned}"


def test_one_version_string():
    import re as _re

    project = _pyproject()["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "course_utils.__version__"}
    init = (ROOT / "course_utils" / "__init__.py").read_text()
    assert len(_re.findall(r'^__version__ = "\d+\.\d+\.\d+"$', init, _re.M)) == 1


def test_ruff_is_pinned_and_the_code_is_clean():
    """The lint step of `make test`: ruff, at the pinned version, with pyproject's short config."""
    import subprocess
    import sys

    pins = {Requirement(r).name: str(next(iter(Requirement(r).specifier)).version) for r in _requirements()}
    done = subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True, text=True)
    assert done.returncode == 0, "ruff is not installed: pip install -r requirements.txt"
    assert done.stdout.split()[-1] == pins["ruff"], f"ruff {done.stdout.strip()} is not the pinned {pins['ruff']}"
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "course_utils", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout[-3000:]


def test_tensorflow_runs_one_thread_per_operation_unless_told_otherwise():
    # course_utils sets TF_NUM_INTRAOP_THREADS=1 before TensorFlow starts (restarts side by side on
    # the cores); a value the user set wins, and make test's second pass checks the stored
    # outputs under another thread count
    import os
    import subprocess
    import sys

    code = "import os, sys, course_utils; print(os.environ['TF_NUM_INTRAOP_THREADS'], 'tensorflow' in sys.modules)"
    for given, want in ((None, "1 False"), ("2", "2 False")):      # set before TensorFlow is imported
        env = {k: v for k, v in os.environ.items() if k != "TF_NUM_INTRAOP_THREADS"}
        if given:
            env["TF_NUM_INTRAOP_THREADS"] = given
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.split()[-2:] == want.split()
    make = (ROOT / "Makefile").read_text()
    assert "TF_NUM_INTRAOP_THREADS=2" in make and "test-other-order" in make
