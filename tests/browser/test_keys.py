"""A key made on the keys page is shown once, with a copy button, and works (contract: "Keys")."""

import re

from playwright.sync_api import expect

NAME = "browser-test-key"
TENANT = "tenant-browser"


def test_a_new_key_is_shown_once_and_works(ui, api, server):
    ui.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    ui.visit("/ui/keys", "before")
    form = ui.page.locator("form#new-key")
    form.locator("[name=name]").fill(NAME)
    form.locator("[name=tenant_id]").fill(TENANT)
    ui.submit(form.locator("[type=submit]"), "submitted")

    expect(ui.page.locator("#new-key-value")).to_be_visible()
    key = ui.field_value("#new-key-value")
    assert re.fullmatch(r"sc_\S{20,}", key), f"#new-key-value shows {key!r}"
    ui.page.locator("button#copy-key").click()
    ui.wait_until(lambda: ui.page.evaluate("navigator.clipboard.readText()") == key, 5, "the copy button put the key on the clipboard")
    ui.shot("shown-once")

    # A real key of its tenant: it lists that tenant's keys only.
    listed = api.request("GET", "/api/api-keys", key=key)[1]["data"]
    assert listed and {k["tenant_id"] for k in listed} == {TENANT}, f"the new key lists {listed}"

    ui.visit("/ui/keys", "visited-again")
    expect(ui.page.locator("#new-key-value")).to_have_count(0)
    expect(ui.page.locator("main#content")).to_contain_text(NAME)
    assert key not in ui.page.content(), "the key is shown a second time"
