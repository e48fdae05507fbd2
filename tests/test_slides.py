"""Slideshow metadata of every lecture, and the offline deck builder (no browser needed)."""
import json
from pathlib import Path

import nbformat
import offline_browser
import pytest

from course_utils.instructor import deck_layout, slides

ROOT = Path(__file__).resolve().parent.parent
LECTURES = slides.lecture_notebooks(course=ROOT)


def test_there_are_lectures():
    assert LECTURES, "no notebooks/NN_name.ipynb found"


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_has_slideshow_metadata_on_every_cell(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems = slides.metadata_problems(nb)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    counts = slides.expected_counts(nb)
    assert counts["slides"] >= 2, f"{path.name}: a lecture needs a title slide and at least one section slide"


def _nb(*kinds, meta=True):
    cells = []
    for kind in kinds:
        cell = nbformat.v4.new_markdown_cell(f"## {kind}")
        if meta:
            cell.metadata["slideshow"] = {"slide_type": kind}
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_metadata_problems_names_each_fault():
    assert slides.metadata_problems(_nb("slide", "subslide", "fragment", "-", "skip", "notes")) == []
    missing = slides.metadata_problems(_nb("slide", "-", meta=False))
    assert len(missing) == 3 and "cell 0" in missing[0] and "cell 1" in missing[1]
    wrong = slides.metadata_problems(_nb("slide", "Slide"))
    assert len(wrong) == 1 and "'Slide'" in wrong[0]
    first = slides.metadata_problems(_nb("subslide", "slide"))
    assert len(first) == 1 and "cell 0 must be a 'slide'" in first[0]
    assert slides.metadata_problems(nbformat.v4.new_notebook()) == ["the notebook has no cells"]


def test_expected_counts():
    nb = _nb("slide", "subslide", "fragment", "-", "slide", "skip", "notes", "subslide", "subslide")
    assert slides.expected_counts(nb) == {"slides": 2, "total": 5, "fragments": 1, "notes": 1}


def test_build_deck_refuses_a_lecture_without_metadata(tmp_path):
    path = tmp_path / "09_new.ipynb"
    nbformat.write(_nb("-", "slide", meta=False), path)
    with pytest.raises(ValueError, match="slideshow metadata"):
        slides.build_deck(path, tmp_path / "out")
    with pytest.raises(ValueError, match="not a notebook"):
        slides.build_deck(tmp_path / "missing.ipynb", tmp_path / "out")


def test_remote_urls_finds_loaders_not_links():
    html = ('<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn/x.css">'
            '<img src="data:image/png;base64,AA"><a href="https://example.org">doc</a>'
            '<script src="_vendor/node_modules/requirejs/require.js"></script>')
    found = slides.remote_urls(html)
    assert len(found) == 2 and "cdn.example" in found[0] and "//cdn" in found[1]


def _widget_state():
    png = nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})
    return {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_k", "IPY_MODEL_out"]}},
        "slider": {"model_name": "FloatSliderModel", "state": {"description": "A", "value": 3.0}},
        "k": {"model_name": "DropdownModel", "state": {"description": "K", "index": 1,
                                                       "_options_labels": ["2", "3"]}},
        "out": {"model_name": "OutputModel", "state": {"outputs": [png]}},
    }


def test_flatten_widgets_keeps_the_figure_and_names_the_controls():
    cell = nbformat.v4.new_code_cell("interact(...)")
    view = {"model_id": "box", "version_major": 2, "version_minor": 0}
    cell.outputs = [nbformat.v4.new_output("display_data", data={slides.WIDGET_VIEW: view, "text/plain": "VBox"}),
                    nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    lost = nbformat.v4.new_code_cell("w")
    lost.outputs = [nbformat.v4.new_output("display_data", data={slides.WIDGET_VIEW: {"model_id": "gone"}})]
    nb = nbformat.v4.new_notebook(cells=[cell, lost])
    nb.metadata["widgets"] = {slides.WIDGET_STATE: {"state": _widget_state(), "version_major": 2}}
    flat = slides.flatten_widgets(nb)
    outs = flat.cells[0].outputs
    assert [o.output_type for o in outs] == ["stream", "display_data", "stream"]
    assert outs[0].text == "A = 3.0 · K = 3\n" and "image/png" in outs[1].data and outs[2].text == "kept\n"
    assert "widgets" not in flat.metadata and "widgets" in nb.metadata  # the input is untouched
    assert "JupyterLab" in flat.cells[1].outputs[0].data["text/plain"]
    nbformat.validate(flat)


def test_browser_skip_reason_honours_the_flag(monkeypatch):
    monkeypatch.setenv(offline_browser.SKIP_BROWSER_ENV, "1")
    assert "COURSE_SKIP_BROWSER" in offline_browser.browser_skip_reason()
    monkeypatch.setenv(offline_browser.SKIP_BROWSER_ENV, "0")
    monkeypatch.setenv("COURSE_CHROMIUM", "/nonexistent/chromium")
    assert "no Chromium" in offline_browser.browser_skip_reason()


def test_cli_check_reports_metadata(tmp_path, capsys):
    good, bad = tmp_path / "01_a.ipynb", tmp_path / "02_b.ipynb"
    nbformat.write(_nb("slide", "-"), good)
    nbformat.write(_nb("-", meta=False), bad)
    assert slides.main(["--check", str(good)]) == 0
    assert slides.main(["--check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "01_a.ipynb: ok" in out and "02_b.ipynb:" in out and "no metadata.slideshow" in out


def test_lecture_notebooks_come_from_the_course_folder(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir()
    for name in ("02_b.ipynb", "01_a.ipynb", "notes.ipynb"):
        (tmp_path / "notebooks" / name).write_text("{}")
    expected = [tmp_path / "notebooks" / "01_a.ipynb", tmp_path / "notebooks" / "02_b.ipynb"]
    assert slides.lecture_notebooks(course=tmp_path) == expected
    monkeypatch.chdir(tmp_path)                       # default: the current directory
    assert slides.lecture_notebooks() == expected
    monkeypatch.chdir(tmp_path / "notebooks")
    with pytest.raises(ValueError, match="not a folder"):
        slides.lecture_notebooks()


# ------------------------------------------------------------------ layout for 1280×720 (deck_layout)
def test_strip_tool_comments_keeps_the_code():
    src = "# NBVAL_CHECK_OUTPUT\nx = 1  # noqa: E501\n# a real comment\nprint(x)  # type: ignore\n"
    assert deck_layout.strip_tool_comments(src) == "x = 1\n# a real comment\nprint(x)\n"
    assert deck_layout.strip_tool_comments("#NBVAL_IGNORE_OUTPUT\n\ny = 2") == "y = 2"
    with pytest.raises(TypeError):
        deck_layout.strip_tool_comments(["x"])


def test_png_size_reads_the_header():
    import base64
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(4, 2), dpi=50)   # 200 × 100 pixels by definition
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    assert deck_layout.png_size(base64.b64encode(buf.getvalue()).decode()) == (200, 100)
    with pytest.raises(ValueError, match="PNG"):
        deck_layout.png_size(base64.b64encode(b"GIF89a" + b"\0" * 30).decode())


def _code(lines, kind="-", out_lines=0):
    cell = nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(lines)))
    cell.metadata["slideshow"] = {"slide_type": kind}
    if out_lines:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout",
                                               text="".join(f"{i}\n" for i in range(out_lines)))]
    return cell


def test_lay_out_continues_an_overfull_slide_on_a_sub_slide():
    lines = deck_layout.SLIDE_BUDGET // deck_layout.CODE_LINE // 2   # two such cells overfill a slide
    nb = nbformat.v4.new_notebook(cells=[_code(lines, "slide"), _code(lines), _code(2, "fragment")])
    nb.cells[0].source = "# NBVAL_CHECK_OUTPUT\n" + nb.cells[0].source
    laid = deck_layout.lay_out(nb)
    assert [slides.slide_type(c) for c in laid.cells] == ["slide", "subslide", "fragment"]
    assert "NBVAL" not in laid.cells[0].source and "NBVAL" in nb.cells[0].source   # input untouched
    assert slides.slide_type(nb.cells[1]) == "-"
    short = nbformat.v4.new_notebook(cells=[_code(3, "slide"), _code(3), _code(3)])
    assert [slides.slide_type(c) for c in deck_layout.lay_out(short).cells] == ["slide", "-", "-"]


def test_lay_out_puts_a_long_output_on_its_own_sub_slide():
    too_tall = deck_layout.SLIDE_BUDGET // deck_layout.OUT_LINE + 5
    nb = nbformat.v4.new_notebook(cells=[_code(1, "slide"), _code(4, out_lines=too_tall)])
    laid = deck_layout.lay_out(nb)
    kinds = [slides.slide_type(c) for c in laid.cells]
    assert kinds == ["slide", "subslide", "subslide"]
    assert laid.cells[1].outputs == [] and laid.cells[1].source.startswith("x0 = 0")
    assert laid.cells[2].metadata["transient"]["remove_source"] and len(laid.cells[2].outputs) == 1
    assert slides.expected_counts(laid)["total"] == 3
    with pytest.raises(ValueError, match="budget"):
        deck_layout.lay_out(nb, budget=10)


def test_index_lists_lectures_by_their_titles(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Intro\n# 01 · *Target* functions")])
    path = tmp_path / "01_a.ipynb"
    nbformat.write(nb, path)
    deck = tmp_path / "01_a.slides.html"
    slides._write_index(tmp_path, [deck], [path])
    html = (tmp_path / "index.html").read_text()
    assert '<a href="01_a.slides.html">01 · Target functions</a>' in html and "<kbd>s</kbd>" in html
