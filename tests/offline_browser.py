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
