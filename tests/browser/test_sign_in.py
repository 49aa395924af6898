"""Sign-in with an API key once, then an HttpOnly, SameSite=Strict session cookie; CSRF tokens on
every POST form (contract: "Sign-in", "Every POST form carries hidden input[name=csrf]")."""

import re
import secrets
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect


def test_a_wrong_key_is_refused_and_the_admin_key_signs_in(fresh_dashboard, server):
    ui = fresh_dashboard()
    # Without a session a page sends you to sign in, remembering where you were going.
    ui.visit("/ui/runs", "redirected-to-sign-in")
    address = urlsplit(ui.page.url)
    assert address.path == "/ui/login", f"/ui/runs without a session ended at {ui.page.url}"
    assert parse_qs(address.query).get("next") == ["/ui/runs"], f"the sign-in page lost where to go next: {ui.page.url}"
    form = ui.page.locator("form#login")
    expect(form.locator("input[name=api_key]")).to_have_attribute("type", "password")
    expect(form.locator("input[name=csrf]")).to_have_attribute("type", "hidden")

    wrong = "sc_" + secrets.token_urlsafe(24)
    refused = ui.sign_in(wrong, next_path="/ui/runs")
    assert refused.status == 401, f"a wrong key was answered {refused.status}"
    expect(ui.page.locator("p.error")).to_be_visible()
    ui.shot("wrong-key-refused")
    assert not any(cookie["name"] == "sc_session" for cookie in ui.page.context.cookies()), "a wrong key got a session"

    ui.sign_in(server.admin_key, next_path="/ui/runs")
    expect(ui.page).to_have_url(server.url + "/ui/runs")
    expect(ui.page.locator("table#runs")).to_be_attached()
    ui.shot("signed-in")
    session = [cookie for cookie in ui.page.context.cookies() if cookie["name"] == "sc_session"]
    assert len(session) == 1, f"expected one sc_session cookie, got {ui.page.context.cookies()}"
    assert session[0]["httpOnly"], "the session cookie is readable by scripts"
    assert session[0]["sameSite"] == "Strict", f"the session cookie is SameSite={session[0]['sameSite']}"
    assert session[0]["path"] == "/ui", f"the session cookie's path is {session[0]['path']}"
    assert "sc_session" not in ui.page.evaluate("document.cookie")
    # The key never travels in an address (history, logs, Referer).
    assert server.admin_key not in ui.page.url and server.admin_key not in session[0]["value"]


def test_a_post_without_the_csrf_token_is_refused_and_sign_out_works(fresh_dashboard, server):
    ui = fresh_dashboard()
    ui.sign_in_to(server.admin_key)
    # The same browser, its session cookie sent, and its own Origin: only the token is missing
    # or wrong, so a 403 can only come from the CSRF check.
    for form in ({}, {"csrf": "not-the-token"}):
        answer = ui.page.request.post(server.url + "/ui/logout", form=form, headers={"Origin": server.url}, max_redirects=0)
        assert answer.status == 403, f"POST /ui/logout with {form or 'no token'} answered {answer.status}"
    ui.visit("/ui", "still-signed-in")
    assert ui.pathname() == "/ui", "a refused POST ended the session"

    logout = ui.page.locator("nav#sidebar form#logout")
    expect(logout.locator("input[name=csrf]")).to_have_attribute("value", re.compile(r".{16,}"))
    ui.submit(logout.locator("button, input[type=submit]").first, "signed-out")
    ui.visit("/ui/runs", "after-sign-out")
    assert ui.pathname() == "/ui/login", f"after signing out /ui/runs ended at {ui.page.url}"
