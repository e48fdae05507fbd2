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
