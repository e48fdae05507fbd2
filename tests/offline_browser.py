"""Shared by the browser tests: finding Chromium, and a Playwright context that cannot reach the network."""
import importlib.util
import os
import re
import shutil
from pathlib import Path

#: URLs that stay on this machine: local files, inline data, and servers on the loopback address.
LOCAL = re.compile(r"^(file|data|blob|about|chrome-error):|^(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/")


def offline_context(browser, **options):
    """A new browser context whose every non-local request is aborted and recorded in ``.blocked``."""
    context = browser.new_context(**options)
    context.blocked = []

    def route(r):
        if LOCAL.match(r.request.url):
            r.continue_()
        else:
            context.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return context


# Headless Chromium as the browser tests start it: quiet (no background connections) and unable to
# resolve any host name but localhost, so that nothing can leave the machine even unrouted.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1")
SKIP_BROWSER_ENV = "COURSE_SKIP_BROWSER"


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$COURSE_CHROMIUM``, else Debian's ``chromium`` on the PATH."""
    named = os.environ.get("COURSE_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_skip_reason() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if os.environ.get(SKIP_BROWSER_ENV, "") not in ("", "0"):
        return f"{SKIP_BROWSER_ENV} is set"
    if find_chromium() is None:
        return ("no Chromium found: `sudo apt-get install chromium` (Debian/Ubuntu), set COURSE_CHROMIUM to "
                f"a Chrome/Chromium binary, or set {SKIP_BROWSER_ENV}=1")
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (pip install -r requirements.txt)"
    return None


# Walks every slide and sub-slide of a reveal.js deck (all fragments shown) and measures it in the
# deck's own coordinates: how tall its content is against the slide's height, which <pre> or figure
# is wider than its box (scrollWidth > clientWidth: clipped or scrolled sideways), whether it leaves
# the window, and whether it shows a test-tool marker.
WALK_SLIDES_JS = """() => new Promise(done => MathJax.Hub.Queue(() => {
  const cfg = Reveal.getConfig(), out = [];
  const H = cfg.height, W = cfg.width;
  Reveal.getHorizontalSlides().forEach((hs, h) => {
    const subs = hs.querySelectorAll(':scope > section');
    const n = subs.length || 1;
    for (let v = 0; v < n; v++) {
      Reveal.slide(h, v, 1e6);
      const s = Reveal.getCurrentSlide(), r = s.getBoundingClientRect(), scale = Reveal.getScale();
      const wide = [...s.querySelectorAll('pre, .jp-OutputArea-output, img, svg, table')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
        .map(e => e.tagName.toLowerCase() + ' ' + e.scrollWidth + '>' + e.clientWidth);
      const imgs = [...s.querySelectorAll('img')].filter(i => i.getBoundingClientRect().right > r.right + 1
        || i.getBoundingClientRect().left < r.left - 1).map(i => 'img outside slide');
      out.push({h, v, height: Math.round(r.height / scale), width: Math.round(r.width / scale),
                content: s.scrollHeight, scaled: s.style.transform || '',
                top: r.top, bottom: r.bottom, right: r.right, innerH: innerHeight, innerW: innerWidth,
                H, W, scale, wide: wide.concat(imgs),
                marker: /NBVAL|nbval-|# ?noqa|# ?type: ?ignore|# ?pragma/.test(s.textContent),
                title: (s.querySelector('h1,h2,h3') || {textContent: ''}).textContent.slice(0, 50)});
    }
  });
  Reveal.slide(0, 0, 0);
  done(out);
}))"""


def slide_problems(m: dict) -> list[str]:
    """What is wrong with one measured slide (from :data:`WALK_SLIDES_JS`), one phrase each."""
    found = []
    if m["height"] > m["H"] + 1 or m["bottom"] > m["innerH"] + 1 or m["top"] < -1:
        found.append(f"taller than the slide ({m['height']} > {m['H']} px, bottom {m['bottom']:.0f} "
                     f"of a {m['innerH']} px window)")
    if m["width"] > m["W"] + 1 or m["right"] > m["innerW"] + 1:
        found.append(f"wider than the slide ({m['width']} > {m['W']} px)")
    if m["wide"]:
        found.append(f"clipped: {m['wide'][:3]}")
    if m["marker"]:
        found.append("shows a test-tool comment (NBVAL...)")
    return found
