"""Offline reveal.js slide decks of the lecture notebooks.

``make slides`` (or ``python -m course_utils.instructor.slides``) turns every ``notebooks/NN_*.ipynb`` into
``build/slides/NN_*.slides.html`` with nbconvert's slides exporter (what ``jupyter nbconvert --to
slides`` runs), so that a deck works on a projector laptop with no network:

* reveal.js, require.js, jQuery and MathJax 2 come from the npm registry at the versions pinned in
  ``slides/package.json`` / ``slides/package-lock.json``; ``npm ci`` installs them once into
  ``build/slides/_vendor/`` and every deck points at them with relative URLs, so the folder
  ``build/slides/`` can be copied to a USB stick as it is;
* the template ``slides/template/course_reveal`` drops what a deck does not need from a CDN
  (mermaid, the ipywidgets renderer); widget outputs are replaced by what they last showed
  (the figure of an ``interact`` is stored in the Output widget's state) and a line naming each
  control, since a slider cannot move without a kernel (present live with RISE for that);
* figures are inline ``data:`` images (nbconvert's default); after the export, any remote URL
  left in a ``src``/``href`` of a script, style sheet or image is an error.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .deck_layout import lay_out
from .grading import course_folder
from .widgets import WIDGET_STATE, WIDGET_VIEW, flatten_widgets  # noqa: F401 (re-exported)

# Folders inside the course folder (``--course``; default: the current directory).
NOTEBOOKS = Path("notebooks")
OUT_DIR = Path("build") / "slides"
PACKAGE_DIR = Path("slides")           # package.json, package-lock.json and the nbconvert template
TEMPLATE_DIR = PACKAGE_DIR / "template"
VENDOR = "_vendor"  # folder inside the output folder, holding node_modules/

SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")
# Front-end files inside _vendor/node_modules (checked after npm ci).
REVEAL = "reveal.js"
REQUIRE_JS = "requirejs/require.js"
JQUERY = "jquery/dist/jquery.min.js"
MATHJAX = "mathjax/MathJax.js"
MATHJAX_CONFIG = "?config=TeX-AMS_CHTML-full,Safe"
_PRUNE = ("mathjax/unpacked", "mathjax/test")  # not loaded by a deck (26 MB)
_REMOTE = re.compile(r"""<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)\s*=\s*["']?"""
                     r"""((?:https?:)?//[^"'\s>]*)""",
                     re.I)


def lecture_notebooks(folder: Path | str | None = None, *, course: Path | str | None = None) -> list[Path]:
    """The lecture notebooks ``NN_name.ipynb`` of ``folder``, sorted by number.

    Parameters
    ----------
    folder : path, optional
        Folder to list (default: the course's ``notebooks/``).
    course : path, optional
        The course folder (default: the current directory).
    """
    folder = course_folder(course) / NOTEBOOKS if folder is None else Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; pass the folder that holds the lecture notebooks")
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def slide_type(cell: dict) -> str | None:
    """The cell's ``metadata.slideshow.slide_type``, or None where it has none.

    Parameters
    ----------
    cell : dict
        A notebook cell.

    Returns
    -------
    str or None
    """
    show = cell.get("metadata", {}).get("slideshow")
    return show.get("slide_type") if isinstance(show, dict) else None


def metadata_problems(nb: dict) -> list[str]:
    """What is wrong with a notebook's slideshow metadata, one line each (empty: all fine).

    Every cell needs a ``slide_type`` among :data:`SLIDE_TYPES`, and the first cell must be a
    ``slide`` (the title).

    Parameters
    ----------
    nb : dict
        The notebook.

    Returns
    -------
    list of str
    """
    cells = nb.get("cells", [])
    if not cells:
        return ["the notebook has no cells"]
    problems = []
    for i, cell in enumerate(cells):
        kind = slide_type(cell)
        if kind not in SLIDE_TYPES:
            head = "".join(cell.get("source", ""))[:40].replace("\n", " ")
            what = "has no metadata.slideshow.slide_type" if kind is None else f"has slide_type {kind!r}"
            problems.append(f"cell {i} ({head!r}) {what}; use one of {', '.join(SLIDE_TYPES)}")
    if slide_type(cells[0]) != "slide":
        problems.append(f"cell 0 must be a 'slide' (the lecture's title), not {slide_type(cells[0])!r}")
    return problems


def expected_counts(nb: dict) -> dict[str, int]:
    """What a deck of ``nb`` must show, read off the metadata alone.

    Parameters
    ----------
    nb : dict
        The notebook.

    Returns
    -------
    dict
        ``slides`` (horizontal slides: ``slide`` cells), ``total`` (slides plus sub-slides, what
        ``Reveal.getTotalSlides()`` counts), ``fragments`` and ``notes``.
    """
    kinds = [slide_type(c) for c in nb.get("cells", [])]
    n_slide, n_sub = kinds.count("slide"), kinds.count("subslide")
    return {"slides": n_slide, "total": n_slide + n_sub, "fragments": kinds.count("fragment"),
            "notes": kinds.count("notes")}


# --------------------------------------------------------------------------- vendor files
def ensure_vendor(out_dir: Path | str | None = None, quiet: bool = True, *, course: Path | str | None = None) -> Path:
    """Install the pinned front-end packages into ``out_dir/_vendor`` (``npm ci``), once.

    Re-installs only when ``slides/package-lock.json`` changed since the last install.

    Parameters
    ----------
    out_dir : path, optional
        Folder of the decks (default: the course's ``build/slides``).
    quiet : bool
        Hide npm's output.
    course : path, optional
        The course folder, holding ``slides/package-lock.json`` (default: the current directory).

    Returns
    -------
    Path
        The ``node_modules`` folder.
    """
    root = course_folder(course)
    vendor = Path(root / OUT_DIR if out_dir is None else out_dir) / VENDOR
    modules = vendor / "node_modules"
    lock = (root / PACKAGE_DIR / "package-lock.json").read_text()
    stamp = vendor / ".installed-lock.json"
    if stamp.is_file() and stamp.read_text() == lock and _missing(modules) == []:
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: install Node.js (e.g. `apt-get install nodejs npm`) "
                           "to fetch the pinned reveal.js and MathJax once")
    vendor.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(root / PACKAGE_DIR / name, vendor / name)
    cmd = [npm, "ci", "--prefix", str(vendor), "--ignore-scripts", "--no-audit", "--no-fund"]
    done = subprocess.run(cmd, capture_output=quiet, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd)}` failed:\n{done.stderr if quiet else ''}")
    for sub in _PRUNE:
        shutil.rmtree(modules / sub, ignore_errors=True)
    missing = _missing(modules)
    if missing:
        raise RuntimeError(f"npm ci did not install {missing}; check slides/package.json")
    stamp.write_text(lock)
    return modules


def _missing(modules: Path) -> list[str]:
    need = [f"{REVEAL}/dist/reveal.js", f"{REVEAL}/plugin/notes/notes.js", REQUIRE_JS, JQUERY, MATHJAX]
    return [n for n in need if not (modules / n).is_file()]


# --------------------------------------------------------------------------- export
def _exporter(root: Path):
    from nbconvert import SlidesExporter

    mods = f"{VENDOR}/node_modules"
    return SlidesExporter(
        template_name="course_reveal",
        extra_template_basedirs=[str(root / TEMPLATE_DIR)],
        reveal_url_prefix=f"{mods}/{REVEAL}",
        require_js_url=f"{mods}/{REQUIRE_JS}",
        jquery_url=f"{mods}/{JQUERY}",
        mathjax_url=f"{mods}/{MATHJAX}{MATHJAX_CONFIG}",
        mermaid_js_url="",
        jupyter_widgets_base_url="",
        reveal_theme="white",
        reveal_transition="none",
    )


def remote_urls(html: str) -> list[str]:
    """The URLs in ``html`` from which a script, style sheet or image would load over the network.

    Parameters
    ----------
    html : str
        A deck's HTML.

    Returns
    -------
    list of str
    """
    return [m.group(1) for m in _REMOTE.finditer(html)]


def build_deck(notebook: Path | str, out_dir: Path | str | None = None, *, course: Path | str | None = None) -> Path:
    """Export one notebook to ``out_dir/<name>.slides.html``, with offline front-end files.

    Parameters
    ----------
    notebook : path
        A lecture notebook with slideshow metadata on every cell.
    out_dir : path, optional
        Folder of the decks (default: the course's ``build/slides``); its ``_vendor/`` gets
        reveal.js and MathJax (``npm ci``, once).
    course : path, optional
        The course folder (default: the current directory).

    Returns
    -------
    Path
        The deck's HTML file.
    """
    root = course_folder(course)
    notebook, out_dir = Path(notebook), Path(root / OUT_DIR if out_dir is None else out_dir)
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise ValueError(f"{notebook} is not a notebook file (.ipynb)")
    nb = nbformat.read(notebook, as_version=4)
    problems = metadata_problems(nb)
    if problems:
        raise ValueError(f"{notebook.name}: fix its slideshow metadata (View > Cell Toolbar > Slideshow "
                         "in Jupyter, or the property inspector in JupyterLab):\n  " + "\n  ".join(problems))
    ensure_vendor(out_dir, course=root)
    body, _ = _exporter(root).from_notebook_node(
        lay_out(flatten_widgets(nb)), resources={"metadata": {"name": notebook.stem}})
    leaks = remote_urls(body)
    if leaks:
        raise RuntimeError(f"{notebook.name}: the deck would load from the network: {leaks[:3]}")
    target = out_dir / f"{notebook.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target


def build_all(notebooks: list[Path] | None = None, out_dir: Path | str | None = None, *,
              course: Path | str | None = None) -> list[Path]:
    """Build a deck for every lecture notebook (default: ``notebooks/NN_*.ipynb``).

    Every notebook is tried; the errors are raised together at the end.

    Parameters
    ----------
    notebooks : list of path, optional
        The notebooks (default: the course's ``notebooks/NN_*.ipynb``).
    out_dir : path, optional
        Folder of the decks (default: the course's ``build/slides``).
    course : path, optional
        The course folder (default: the current directory).

    Returns
    -------
    list of Path
        The decks' HTML files.
    """
    root = course_folder(course)
    out_dir = root / OUT_DIR if out_dir is None else Path(out_dir)
    notebooks = lecture_notebooks(course=root) if notebooks is None else [Path(p) for p in notebooks]
    if not notebooks:
        raise ValueError("no lecture notebooks to build (expected notebooks/NN_name.ipynb)")
    built, errors = [], []
    for path in notebooks:
        try:
            built.append(build_deck(path, out_dir, course=root))
        except (ValueError, RuntimeError) as exc:
            errors.append(str(exc))
    if errors:
        raise RuntimeError("\n".join(errors))
    _write_index(Path(out_dir), built, notebooks)
    return built


def lecture_title(nb: dict) -> str:
    """The text of a notebook's first Markdown heading ("" where it has none).

    Parameters
    ----------
    nb : dict
        The notebook.

    Returns
    -------
    str
    """
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).split("\n"):
                if line.startswith("#"):
                    return re.sub(r"[*_`]", "", line.lstrip("#").strip())
    return ""


_INDEX_CSS = """body{font-family:'Source Sans Pro',Helvetica,Arial,sans-serif;max-width:860px;margin:48px auto;
padding:0 24px;color:#222;line-height:1.45}h1{font-size:2.1em;margin-bottom:.1em}p.sub{color:#555;margin-top:0}
ol{list-style:none;padding:0}li{margin:.45em 0;padding:.6em .9em;border-left:4px solid #0072B2;background:#f4f7fa}
li a{color:#0b3d66;text-decoration:none;font-size:1.15em}li a:hover{text-decoration:underline}
.num{display:inline-block;width:2.4em;color:#0072B2;font-weight:bold}kbd{border:1px solid #bbb;border-radius:3px;
padding:0 .3em;background:#fafafa;font-size:.9em}"""


def _write_index(out_dir: Path, decks: list[Path], notebooks: list[Path] | None = None) -> None:
    import html

    rows = []
    for i, deck in enumerate(decks):
        stem = deck.name.removesuffix(".slides.html")
        title = lecture_title(nbformat.read(notebooks[i], as_version=4)) if notebooks else ""
        num = stem.split("_", 1)[0]
        rows.append(f'<li><span class="num">{html.escape(num)}</span>'
                    f'<a href="{html.escape(deck.name)}">{html.escape(title or stem)}</a></li>')
    items = "\n".join(rows)
    (out_dir / "index.html").write_text(
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Clustering by target functions: slides</title>\n<style>{_INDEX_CSS}</style></head><body>\n"
        f"<h1>Clustering by target functions</h1>\n<p class=\"sub\">Lecture slides (work offline; "
        f"made for a 1280×720 projector)</p>\n<ol>\n{items}\n</ol>\n"
        "<p>Keys: <kbd>→</kbd>/<kbd>Space</kbd> next, <kbd>←</kbd> back, <kbd>↓</kbd>/<kbd>↑</kbd> sub-slides, "
        "<kbd>s</kbd> speaker notes, <kbd>f</kbd> full screen, <kbd>Esc</kbd> overview.</p>\n"
        "</body></html>\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m course_utils.instructor.slides [NOTEBOOK ...] [--out DIR] [--course DIR]``.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(prog="python -m course_utils.instructor.slides",
                                     description="Build offline reveal.js decks of the lecture notebooks.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks (default: notebooks/NN_*.ipynb)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: COURSE/build/slides)")
    parser.add_argument("--course", type=Path, default=None, help="the course folder (default: the current directory)")
    parser.add_argument("--check", action="store_true", help="only check the slideshow metadata")
    args = parser.parse_args(argv)
    paths = args.notebooks or lecture_notebooks(course=args.course)
    if args.check:
        bad = {p.name: metadata_problems(json.loads(p.read_text())) for p in paths}
        for name, problems in bad.items():
            print(f"{name}: {'ok' if not problems else ''}" + "".join(f"\n  {p}" for p in problems))
        return 1 if any(bad.values()) else 0
    try:
        decks = build_all(paths, args.out, course=args.course)
    except (ValueError, RuntimeError) as exc:
        print(exc, file=sys.stderr)
        return 1
    for deck in decks:
        print(f"wrote {deck.relative_to(Path.cwd()) if deck.is_relative_to(Path.cwd()) else deck}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
