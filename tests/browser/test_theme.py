"""Dark and light theme: follows the system until switched, the switch is remembered in a cookie
and rendered by the server, so it survives a reload (contract: "Layout")."""

import re

from playwright.sync_api import expect

# The colour behind the content: the first opaque background from main#content up to the root
# (a theme may paint html, body or the content itself).
BACKGROUND = """(() => {
    for (let e = document.querySelector('main#content'); e; e = e.parentElement) {
        const colour = getComputedStyle(e).backgroundColor;
        if (colour !== 'rgba(0, 0, 0, 0)' && colour !== 'transparent') return colour;
    }
    return 'none';
})()"""


def test_the_theme_follows_the_system_and_the_toggle_survives_a_reload(fresh_dashboard, server):
    system_dark = fresh_dashboard(color_scheme="dark")
    system_dark.sign_in_to(server.admin_key)
    system_dark.visit("/ui", "system-dark")
    dark_background = system_dark.page.evaluate(BACKGROUND)

    ui = fresh_dashboard(color_scheme="light")
    ui.sign_in_to(server.admin_key)
    ui.visit("/ui", "system-light")
    html = ui.page.locator("html")
    assert html.get_attribute("data-theme") in (None, "light"), "no theme chosen yet, and the system is light"
    light_background = ui.page.evaluate(BACKGROUND)
    assert light_background != dark_background, f"the system's dark preference changes nothing ({light_background})"

    ui.submit(ui.page.locator("button#theme-toggle"), "toggled-dark")
    expect(html).to_have_attribute("data-theme", "dark")
    # Waited for: a theme may fade its colours in.
    ui.wait_until(lambda: ui.page.evaluate(BACKGROUND) == dark_background, 5, "the dark theme looks like the system's dark")
    theme_cookie = [cookie["value"] for cookie in ui.page.context.cookies() if cookie["name"] == "sc_theme"]
    assert theme_cookie == ["dark"], f"sc_theme is {theme_cookie}"

    ui.page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    # Rendered by the server (no flash of the other theme while scripts load).
    page_source = ui.page.request.get(server.url + "/ui").text()
    assert re.search(r"<html[^>]*data-theme=\"dark\"", page_source), "the server does not render the chosen theme"
    ui.shot("dark-after-reload")

    ui.submit(ui.page.locator("button#theme-toggle"), "toggled-light")
    expect(html).to_have_attribute("data-theme", "light")
    ui.page.reload()
    expect(html).to_have_attribute("data-theme", "light")
    ui.wait_until(lambda: ui.page.evaluate(BACKGROUND) == light_background, 5, "the light theme is back")
    ui.shot("light-after-reload")
