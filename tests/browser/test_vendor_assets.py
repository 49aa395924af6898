"""The xterm.js bundle scripts/ui-assets builds from Debian's node-xterm works in Chromium under
the dashboard's policy (`default-src 'self'`): it defines `Terminal` with the fit addon applied,
and draws text without breaking the policy. Needs no server: the page is served from the
assets folder by Playwright itself."""

import re

from playwright.sync_api import Route, expect

from harness.watch import PageWatch

ORIGIN = "http://assets.test"
PAGE = """<!doctype html>
<html><head><link rel="stylesheet" href="/xterm.css"><link rel="stylesheet" href="/page.css">
<script src="/xterm.js"></script><script src="/page.js" defer></script></head>
<body><div id="terminal"></div></body></html>"""
PAGE_CSS = "#terminal { width: 640px; height: 240px; }"
# screenReaderMode: the canvas renderer paints pixels, the accessibility tree carries the text
# (xterm 3's DOM renderer would add <style> elements, which the policy blocks).
PAGE_JS = """
var term = new Terminal({ screenReaderMode: true, rows: 10 });
term.open(document.getElementById('terminal'));
term.fit();
term.write('first line\\r\\nhi\\r\\n');
term.on('data', function (data) { window.typed = (window.typed || '') + data; });
"""


def test_the_bundle_runs_under_the_dashboard_policy(browser, ui_assets, shots):
    files = {
        "/": (PAGE, "text/html"),
        "/page.css": (PAGE_CSS, "text/css"),
        "/page.js": (PAGE_JS, "text/javascript"),
        "/xterm.js": ((ui_assets / "xterm.js").read_bytes(), "text/javascript"),
        "/xterm.css": ((ui_assets / "xterm.css").read_bytes(), "text/css"),
    }

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        body, content_type = files.get(path, ("", "text/plain"))
        route.fulfill(
            status=200 if path in files else 404,
            body=body,
            content_type=content_type,
            headers={"Content-Security-Policy": "default-src 'self'"},
        )

    context = browser.new_context(viewport={"width": 800, "height": 400})
    try:
        page = context.new_page()
        watch = PageWatch(page)
        page.route(f"{ORIGIN}/**", serve)
        page.goto(ORIGIN + "/")
        assert page.evaluate("typeof Terminal.prototype.fit") == "function", "the fit addon is not applied"
        assert page.evaluate("typeof xtermFit.proposeGeometry") == "function"
        screen = page.locator("#terminal .xterm-accessibility-tree")
        expect(screen).to_contain_text("first line")
        assert re.search(r"^hi$", screen.inner_text(), re.MULTILINE), f"the screen reads {screen.inner_text()!r}"
        # fit() sized the terminal to its 640 × 240 px box.
        assert page.evaluate("term.cols") > 20 and page.evaluate("term.rows") > 2
        page.locator("#terminal").click()
        page.keyboard.type("echo hi")
        page.keyboard.press("Enter")
        assert page.evaluate("window.typed") == "echo hi\r"
        shots.take(page, "vendor-xterm-bundle")
        watch.check("the xterm bundle misbehaved under default-src 'self'")
    finally:
        context.close()
