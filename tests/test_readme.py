"""The README's module tables say what the package holds: every public module, and nothing else."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def _public_modules() -> set[str]:
    out = set()
    for path in (ROOT / "course_utils").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(p.startswith("_") for p in parts):
            out.add(".".join(parts))
    return out


def _private_modules() -> set[str]:
    return {".".join(p.relative_to(ROOT / "course_utils").with_suffix("").parts)
            for p in (ROOT / "course_utils").rglob("_*.py") if p.name != "__init__.py"}


def test_package_table_lists_every_public_module_once():
    rows = re.findall(r"^\| `(course_utils[\w.]*)` \|", _section("The package"), re.M)
    assert len(rows) == len(set(rows)), "a module is listed twice"
    assert set(rows) == _public_modules()


def test_package_section_names_every_private_module():
    named = set(re.findall(r"`([\w.]+)`", _section("The package")))
    assert _private_modules() <= named


def test_lecture_table_names_modules_that_exist():
    table = _section("The lectures")
    rows = [line for line in table.splitlines() if line.startswith("| `0")]
    assert len(rows) == len(list((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    modules = _public_modules()
    for row in rows:
        notebook, *_, package = [c.strip() for c in row.strip("|").split("|")]
        assert (ROOT / "notebooks" / f"{notebook.strip('`')}.ipynb").is_file(), notebook
        for name in re.findall(r"`([\w.]+)`", package):
            if name.startswith("course_utils.") and name.endswith("cluster"):
                continue                            # course_utils.cluster(): a function, not a module
            assert f"course_utils.{name}" in modules, f"{notebook}: no module course_utils.{name}"


def test_files_the_docs_name_exist():
    """Test files, modules and scripts named in the docs exist (patterns like test_<module> aside)."""
    texts = {name: (ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "CONTRIBUTING.md",
                                                                         "requirements.txt")}
    for name, text in texts.items():
        for path in re.findall(r"((?:tests|benchmarks|course_utils)/[\w/]+\.py)", text):
            assert (ROOT / path).is_file(), f"{name} names {path}, which does not exist"
        for module in re.findall(r"python -m (course_utils[\w.]*)", text):
            assert module in _public_modules(), f"{name}: `python -m {module}` does not exist"


def test_run_all_times_are_the_measured_ones():
    """The README's Run All table gives each lecture's time as measured when it was stored."""
    from test_stored_notebooks import LECTURES, run_all_seconds

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\d\d)_\w+` \| (\d+) s \|", text, flags=re.M))
    assert sorted(rows) == [p.name[:2] for p in LECTURES], "the Run All table must list every lecture"
    for p in LECTURES:
        measured = run_all_seconds(p)
        stated = int(rows[p.name[:2]])
        assert abs(stated - measured) <= max(3, 0.15 * measured), (p.name, stated, round(measured, 1))
