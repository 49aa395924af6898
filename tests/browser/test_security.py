"""Hostile text stays text, and the Content-Security-Policy forbids inline script (issue 16,
"Security"; contract: CSP `default-src 'self'`, no inline script)."""

import pytest
from playwright.sync_api import Error, expect

# What browser_xss.yaml puts in its description and its step's output.
DESCRIPTION_PAYLOAD = "<img src=x onerror=alert(1)>"
OUTPUT_PAYLOAD = '<img src=x onerror=alert(3)><script>window.__xss = "output"</script>'
# Sources that would let an injected or inline script run.
UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:", "blob:"}


def script_sources(policy: str) -> set[str]:
    """The sources a policy allows scripts from: script-src, else default-src (its fallback)."""
    directives = {}
    for directive in policy.split(";"):
        words = directive.split()
        if words:
            directives[words[0].lower()] = {word.lower() for word in words[1:]}
    sources = directives.get("script-src", directives.get("default-src"))
    assert sources is not None, f"the policy restricts no scripts: {policy!r}"
    return sources


def assert_no_markup_ran(ui) -> None:
    expect(ui.page.locator('img[src="x"]')).to_have_count(0)
    assert ui.page.evaluate("window.__xss") is None, "a script from user text ran"
    assert ui.page.evaluate("document.querySelectorAll('script:not([src])').length") == 0, "the page has inline script"


def test_hostile_text_renders_as_text(ui, api):
    run_id = api.start_run("browser_xss")
    api.wait_for_run(run_id, {"completed"})

    ui.visit("/ui/workflows", "workflows")
    expect(ui.page.locator("main#content")).to_contain_text(DESCRIPTION_PAYLOAD)
    assert_no_markup_ran(ui)

    ui.visit("/ui/runs?workflow=browser_xss", "runs")
    expect(ui.page.locator(f'tr.run[id="run-{run_id}"]')).to_be_visible()
    assert_no_markup_ran(ui)

    ui.visit(f"/ui/runs/{run_id}?step=shout", "run-output")
    expect(ui.page.locator("main#content")).to_contain_text(OUTPUT_PAYLOAD)
    assert_no_markup_ran(ui)
    # No alert(…) dialog either: the page's watch fails the test on any.


def test_the_policy_forbids_inline_script_and_blocks_an_injected_one(ui):
    response = ui.visit("/ui", "overview")
    policy = response.headers.get("content-security-policy")
    assert policy, "the dashboard answers without a Content-Security-Policy"
    sources = script_sources(policy)
    assert "'self'" in sources or "'none'" in sources, f"scripts allowed from {sources}"
    assert not sources & UNSAFE_SOURCES, f"the policy lets scripts run from {sources & UNSAFE_SOURCES}: {policy!r}"
    assert ui.page.evaluate("document.querySelectorAll('script:not([src])').length") == 0

    # As devtools would inject it: an inline <script> element added to the live page.
    with pytest.raises(Error, match="Content Security Policy"):
        ui.page.add_script_tag(content="window.__injected = 'ran'")
    assert ui.page.evaluate("window.__injected") is None, "the injected inline script ran"
    blocked = ui.watch.take_csp_violations()
    assert any("inline script" in violation for violation in blocked), f"no violation reported for the injected script: {blocked}"
