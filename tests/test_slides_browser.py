"""Every lecture's reveal.js deck, opened in headless Chromium with the network blocked.

Builds the decks into build/slides/ (as ``make slides`` does), then for each deck asserts: reveal.js
initialises, the slide count matches the notebook's slideshow metadata (after the exporter's layout step
splits overfull slides), the formulas are typeset by MathJax with no error, figures are inline images
that load, and no request leaves the machine; then walks every slide at a projector's 1280×720 and
fails on any slide taller or wider than the window, any clipped code or figure, any NBVAL marker.
Skipped with COURSE_SKIP_BROWSER=1, or where no Chromium is installed (see README, "Slides").
"""
import re
import shutil
from pathlib import Path

import nbformat
import offline_browser
import pytest
from offline_browser import offline_context

from course_utils.instructor import slides
from course_utils.instructor.deck_layout import lay_out

ROOT = Path(__file__).resolve().parent.parent

_VENDORED = ((ROOT / slides.OUT_DIR) / slides.VENDOR / "node_modules" / slides.MATHJAX).is_file()
pytestmark = [
    pytest.mark.skipif(offline_browser.browser_skip_reason() is not None,
                       reason=str(offline_browser.browser_skip_reason())),
    pytest.mark.skipif(shutil.which("npm") is None and not _VENDORED,
                       reason="npm is needed once to fetch reveal.js and MathJax (apt-get install npm)"),
]

LECTURES = slides.lecture_notebooks(course=ROOT)
SCREENSHOTS = ROOT / "build" / "screenshots"
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_MATH = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$"
                   r"|\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S)


def formulas(nb) -> int:
    """How many formulas the shown Markdown cells hold (code spans left out)."""
    return sum(len(_MATH.findall(_CODE.sub("", c.source))) for c in nb.cells
               if c.cell_type == "markdown" and slides.slide_type(c) != "skip")


@pytest.fixture(scope="module")
def decks():
    """Deck path (or the error that stopped its build) by lecture name."""
    if not LECTURES:
        pytest.fail("no lecture notebooks")
    built = {}
    for path in LECTURES:
        try:
            built[path.stem] = slides.build_deck(path, course=ROOT)
        except (ValueError, RuntimeError) as exc:
            built[path.stem] = exc
    return built


def _deck(decks, name) -> Path:
    if isinstance(decks[name], Exception):
        pytest.fail(f"the deck of {name} did not build: {decks[name]}")
    return decks[name]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=offline_browser.find_chromium(),
                                     args=list(offline_browser.CHROMIUM_FLAGS))
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    """A page whose every request to anything but a local file or localhost is aborted and recorded."""
    context = offline_context(browser, viewport={"width": 1280, "height": 720})
    context.errors = []
    pg = context.new_page()
    pg.on("pageerror", lambda exc: context.errors.append(str(exc)))
    yield pg
    context.close()


COUNT_JS = """() => new Promise(done => MathJax.Hub.Queue(() => done({
    horizontal: Reveal.getHorizontalSlides().length,
    total: Reveal.getTotalSlides(),
    fragments: document.querySelectorAll('.slides .fragment').length,
    notes: document.querySelectorAll('.slides aside.notes').length,
    math: document.querySelectorAll('script[type^="math/tex"]').length,
    rendered: document.querySelectorAll('.MathJax_CHTML, .MathJax_Display, .MathJax').length,
    errors: [...document.querySelectorAll('.MathJax_Error, merror')].map(e => e.textContent),
    images: [...document.querySelectorAll('.slides img')].map(i => [i.src.slice(0, 22), i.naturalWidth]),
})))"""


@pytest.mark.parametrize("name", [p.stem for p in LECTURES])
def test_deck_works_offline(name, decks, page):
    nb = nbformat.read((ROOT / slides.NOTEBOOKS) / f"{name}.ipynb", as_version=4)
    want = slides.expected_counts(lay_out(slides.flatten_widgets(nb)))
    try:
        deck = _deck(decks, name)
        page.goto(deck.as_uri())
        page.wait_for_function("window.Reveal && Reveal.isReady() && window.MathJax && MathJax.isReady",
                               timeout=30_000)
        got = page.evaluate(COUNT_JS)
        context = page.context
        assert context.blocked == [], f"requests that would leave the machine: {context.blocked}"
        assert context.errors == [], f"JavaScript errors: {context.errors}"
        assert got["horizontal"] == want["slides"], f"{got['horizontal']} slides, metadata says {want['slides']}"
        assert got["total"] == want["total"], f"{got['total']} slides with sub-slides, metadata says {want['total']}"
        assert got["fragments"] == want["fragments"]
        assert got["notes"] == want["notes"]
        n_math = formulas(nb)
        assert got["math"] >= n_math and got["rendered"] >= got["math"], \
            f"{got['math']} formulas typeset, {got['rendered']} rendered, the notebook shows {n_math}"
        assert got["errors"] == [], f"MathJax could not typeset: {got['errors']}"
        for src, width in got["images"]:
            assert src.startswith("data:image/") and width > 0, f"figure not inline or not loaded: {src}"
        page.keyboard.press("End")  # walk to the last slide: navigation works
        assert page.evaluate("Reveal.getIndices().h") == want["slides"] - 1
        (SCREENSHOTS / f"slides_{name}.png").unlink(missing_ok=True)  # no stale picture of an old failure
    except Exception:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"slides_{name}.png"))
        raise


@pytest.mark.parametrize("name", [p.stem for p in LECTURES])
def test_every_slide_fits_a_projector(name, decks, page):
    deck = _deck(decks, name)
    page.goto(deck.as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady() && window.MathJax && MathJax.isReady",
                           timeout=30_000)
    measured = page.evaluate(offline_browser.WALK_SLIDES_JS)
    assert len(measured) == page.evaluate("Reveal.getTotalSlides()")
    bad = [f"slide {m['h']}/{m['v']} ({m['title']!r}): {'; '.join(offline_browser.slide_problems(m))}"
           for m in measured if offline_browser.slide_problems(m)]
    if bad:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        first = next(m for m in measured if offline_browser.slide_problems(m))
        page.evaluate(f"Reveal.slide({first['h']}, {first['v']})")
        page.screenshot(path=str(SCREENSHOTS / f"fit_{name}.png"))
    assert not bad, f"{len(bad)} of {len(measured)} slides do not fit 1280×720:\n" + "\n".join(bad)


def test_deck_html_loads_nothing_remote(decks):
    for name in decks:
        deck = _deck(decks, name)
        html = deck.read_text(encoding="utf-8")
        assert slides.remote_urls(html) == [], name
        assert "_vendor/node_modules/reveal.js/dist/reveal.js" in html
        assert Path(deck.parent / slides.VENDOR / "node_modules" / slides.MATHJAX).is_file()
