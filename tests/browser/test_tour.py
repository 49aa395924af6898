"""Every page of the sidebar answers, under the policy, with the layout's landmarks; each is
photographed at desktop and phone width for a person to look at (contract: "Layout",
"Overview"). Runs last of the page tests, when the other tests have filled the pages."""

from playwright.sync_api import expect

from harness.dashboard import Dashboard

NAV = ["overview", "runs", "workflows", "approvals", "schedules", "dead-letters", "keys", "violations", "audit", "sandboxes"]
OVERVIEW = [
    "#kpi-runs-today", "#kpi-success-rate", "#kpi-cost-today", "#kpi-avg-duration",
    "svg#chart-runs-per-day", "svg#chart-cost-per-workflow", "table#recent-runs",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}


def sidebar_links(ui: Dashboard) -> dict[str, str]:
    links = ui.page.locator("nav#sidebar a[data-nav]")
    return dict(links.evaluate_all("links => links.map(a => [a.dataset.nav, a.getAttribute('href')])"))


def test_every_page_of_the_sidebar_answers_under_the_policy(ui):
    ui.visit("/ui", "overview")
    for landmark in OVERVIEW + ["#dlq-count", "button#theme-toggle", "nav#sidebar form#logout"]:
        expect(ui.page.locator(landmark)).to_be_attached()
    links = sidebar_links(ui)
    assert sorted(links) == sorted(NAV), f"the sidebar links {sorted(links)}"

    for name in NAV:
        response = ui.visit(links[name], f"nav-{name}")
        assert response.headers.get("content-security-policy"), f"{links[name]} has no Content-Security-Policy"
        assert ui.page.evaluate("document.querySelectorAll('script:not([src])').length") == 0, f"{links[name]} has inline script"
        expect(ui.page.locator("nav#sidebar")).to_be_attached()

    ui.page.set_viewport_size(PHONE)
    try:
        for name in ["overview", "runs", "approvals"]:
            ui.visit(links[name], f"phone-{name}")
            expect(ui.page.locator("main#content")).to_be_visible()
    finally:
        ui.page.set_viewport_size({"width": 1280, "height": 800})
