"""Shared by the browser tests: a Playwright context that cannot reach the network."""
import re

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
