"""JupyterLab as a student sees it: lecture 04's ipywidgets slider renders and redraws the figure;
the student lab (``make lab``: JUPYTER_CONFIG_PATH=jupyter/student) shows none of nbgrader's instructor
tools, the instructor lab (``make lab-instructor``) shows them.

Starts ``jupyter lab`` on 127.0.0.1 (free port, random token) over a temporary copy of
``notebooks/04_*.ipynb`` cut to what the widget needs (the set-up cell, the data cell and the widget
cells; the real notebook is never saved to), opens it in headless Chromium with every non-local
request aborted, runs all cells, checks that the ``interact`` sliders render with a figure, drags
one and waits for a different figure, drawn after a progress bar of the training it runs. A
screenshot of a failure goes to build/screenshots/. Skipped with COURSE_SKIP_BROWSER=1, or where
no Chromium is installed.
"""
import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import offline_browser
import pytest
from offline_browser import offline_context

from course_utils.instructor import slides

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(offline_browser.browser_skip_reason() is not None,
                                reason=str(offline_browser.browser_skip_reason()))

SCREENSHOTS = ROOT / "build" / "screenshots"
START_TIMEOUT = 90  # s for the server; kernel cells get the notebook's own budget (~60 s) plus slack
RUN_TIMEOUT = 240_000  # ms
REDRAW_TIMEOUT = 90_000  # ms


def _lecture_04():
    found = sorted((ROOT / slides.NOTEBOOKS).glob("04_*.ipynb"))
    assert found, "notebooks/04_*.ipynb (the softmax-sharpness lecture with its interact slider) is missing"
    return found[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STUDENT_CONFIG = ROOT / "jupyter" / "student"   # what `make lab` puts on JUPYTER_CONFIG_PATH


@contextlib.contextmanager
def _running_lab(root: Path, student: bool = True):
    """JupyterLab over ``root`` as ``make lab`` (student) or ``make lab-instructor`` starts it: (base URL, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items()
           if k not in ("MPLBACKEND", "JUPYTER_CONFIG_PATH", "COURSE_UTILS_QUIET", "PYTEST_CURRENT_TEST")}
    env.update(KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0",
               JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    if student:
        env["JUPYTER_CONFIG_PATH"] = str(STUDENT_CONFIG)
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           f"--LabApp.workspaces_dir={root / '.workspaces'}", f"--LabApp.user_settings_dir={root / '.settings'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    log = open(root / "lab.log", "wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not start:\n{(root / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running student JupyterLab: yields (base URL, token, notebook name); stopped afterwards."""
    import nbformat

    root = tmp_path_factory.mktemp("lab")
    notebook = _lecture_04()
    nb = nbformat.read(notebook, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    nb.cells = [code[0], next(c for c in code if c.source.lstrip().startswith(("X, y", "# NBVAL_CHECK_OUTPUT\nX, y"))),
                *[c for c in code if "explore(" in c.source]]
    nbformat.write(nb, root / notebook.name)
    with _running_lab(root, student=True) as (base, token):
        yield base, token, notebook.name


@pytest.fixture()
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=offline_browser.find_chromium(),
                                     args=list(offline_browser.CHROMIUM_FLAGS))
        context = offline_context(browser, viewport={"width": 1400, "height": 1000})
        yield context.new_page()
        browser.close()


# The notebook panel, through the app object that --LabApp.expose_app_in_browser puts on window.
PANEL = "window.jupyterapp && jupyterapp.shell.currentWidget && jupyterapp.shell.currentWidget.sessionContext"
RUN_ALL = """async () => {
    const panel = jupyterapp.shell.currentWidget;
    await panel.sessionContext.ready;
    await jupyterapp.commands.execute('notebook:run-all-cells');
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    const errors = [];
    for (const cell of cells) {
        for (let i = 0; i < cell.model.outputs.length; i++) {
            const out = cell.model.outputs.get(i);
            if (out.type === 'error') errors.push(out.toJSON().ename + ': ' + out.toJSON().evalue);
        }
    }
    return {executed: cells.filter(c => c.model.executionCount !== null).length, cells: cells.length, errors};
}"""
FIGURE = ".jp-OutputArea-output .widget-output img, .jupyter-widgets-output-area img"


def test_lecture_04_slider_redraws_the_figure(lab, page):
    base, token, name = lab
    try:
        page.goto(f"{base}/lab/tree/{name}?token={token}&reset")
        page.wait_for_function(f"{PANEL} && jupyterapp.shell.currentWidget.context.path === '{name}'",
                               timeout=60_000)
        ran = page.evaluate(RUN_ALL)
        assert ran["errors"] == [], f"cells raised: {ran['errors']}"
        assert ran["executed"] == ran["cells"], f"only {ran['executed']} of {ran['cells']} code cells ran"

        # Presenting live (README): JupyterLab's own Presentation Mode, the sliders still drive the figure.
        page.evaluate("jupyterapp.commands.execute('application:toggle-presentation-mode')")
        page.wait_for_function("jupyterapp.shell.presentationMode === true", timeout=10_000)
        sliders = page.locator(".jp-OutputArea-output .widget-slider")
        sliders.first.wait_for(state="visible", timeout=RUN_TIMEOUT)
        figure = page.locator(FIGURE).last
        figure.wait_for(state="visible", timeout=RUN_TIMEOUT)
        assert sliders.count() >= 1
        before = figure.get_attribute("src")
        readouts_before = page.locator(".widget-readout").all_inner_texts()

        handle = page.locator(".jp-OutputArea-output .widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + 60, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
        if page.locator(".widget-readout").all_inner_texts() == readouts_before:   # keyboard, as a presenter may
            handle.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
        assert page.locator(".widget-readout").all_inner_texts() != readouts_before, "the slider did not move"
        page.wait_for_function(
            """([sel, before]) => { const imgs = document.querySelectorAll(sel);
                 const img = imgs[imgs.length - 1];
                 return img && img.complete && img.naturalWidth > 0 && img.src !== before; }""",
            arg=[FIGURE, before], timeout=REDRAW_TIMEOUT)
        assert page.locator(".jp-OutputArea-output").get_by_text(re.compile(r"^\d+/\d+ · [0-9.]+ s")).count() >= 1, \
            "the redraw trains for a few seconds: a progress bar must show it"
        assert page.context.blocked == [], f"requests that would leave the machine: {page.context.blocked}"
        assert page.evaluate("jupyterapp.commands.hasCommand('RISE:slideshow')"), "jupyterlab-rise is not loaded"
        (SCREENSHOTS / "lab_04_slider.png").unlink(missing_ok=True)  # no stale picture of an old failure
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "lab_04_slider.png"), full_page=True)
        raise


INSTRUCTOR_UI = ("Create Assignment", "Formgrader", "Course List")
NBGRADER_UI = """async () => {
    await jupyterapp.restored;
    const bar = [...document.querySelectorAll('.lm-MenuBar-item')]
        .find(e => e.textContent.trim() === 'Nbgrader');
    let menu = [];
    if (bar) {
        bar.dispatchEvent(new MouseEvent('mousedown', {bubbles: true, button: 0}));
        await new Promise(r => setTimeout(r, 300));
        menu = [...document.querySelectorAll('.lm-Menu-itemLabel')].map(e => e.textContent.trim());
        document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', keyCode: 27, bubbles: true}));
    }
    const tabs = [...document.querySelectorAll('.lm-TabBar-tab')].map(e => e.title + ' ' + e.textContent);
    return {menu, tabs, text: document.body.innerText,
            commands: jupyterapp.commands.listCommands().filter(c => c.startsWith('nbgrader:'))};
}"""


@pytest.mark.parametrize("student", [True, False], ids=["make-lab", "make-lab-instructor"])
def test_instructor_tools_only_in_the_instructor_lab(student, tmp_path, page):
    with _running_lab(tmp_path, student=student) as (base, token):
        try:
            page.goto(f"{base}/lab?token={token}&reset")
            page.wait_for_function("window.jupyterapp && jupyterapp.started", timeout=120_000)
            ui = page.evaluate(NBGRADER_UI)
            shown = " | ".join(ui["menu"] + ui["tabs"]) + " | " + ui["text"]
            seen = [name for name in INSTRUCTOR_UI if name.lower() in shown.lower()]
            try:
                urllib.request.urlopen(f"{base}/formgrader?token={token}", timeout=30)
                formgrader = True
            except urllib.error.HTTPError:
                formgrader = False
            if student:
                assert seen == [], f"the student lab shows nbgrader's instructor UI: {seen}"
                assert not {"nbgrader:open-formgrader", "nbgrader:open-create-assignment"} & set(ui["commands"])
                assert not formgrader, "the student lab serves /formgrader"
                assert "nbgrader:open-assignment-list" in ui["commands"], "the student tools went too"
            else:
                assert "Create Assignment" in seen, \
                    f"the instructor lab shows no Create Assignment sidebar: {shown[:300]}"
                assert {"nbgrader:open-formgrader", "nbgrader:open-create-assignment",
                        "nbgrader:open-course-list"} <= set(ui["commands"]), ui["commands"]
                assert formgrader, "the instructor lab does not serve /formgrader"
            assert page.context.blocked == [], f"requests that would leave the machine: {page.context.blocked}"
        except Exception:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"lab_{'student' if student else 'instructor'}.png"))
            raise
