"""A page of the dashboard as the tests drive it: every page visited is checked (answered 200,
`main#content` there) and photographed for a person to look at, and its watch fails the test on
page errors, CSP violations and dialogs.
"""

import re
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Response, expect

from harness.watch import PageWatch


class Screenshots:
    """Numbered PNGs in the artifacts folder, in the order the session took them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def take(self, page: Page, label: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:120]
        path = self.folder / f"{self.count:03d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


class Dashboard:
    def __init__(self, page: Page, base_url: str, shots: Screenshots, watch: PageWatch):
        self.page = page
        self.base_url = base_url
        self.shots = shots
        self.watch = watch
        self.test_name = "session"

    def url(self, path: str) -> str:
        return self.base_url + path

    def visit(self, path: str, label: str | None = None, status: int = 200) -> Response:
        """Opens a dashboard page, checks its answer and layout, and photographs it."""
        response = self.page.goto(self.url(path))
        assert response is not None, f"no response for {path}"
        assert response.status == status, f"GET {path} ended at {self.page.url} with {response.status}, expected {status}"
        if status == 200:
            expect(self.page.locator("main#content")).to_be_attached()
        self.shot(label or path)
        return response

    def shot(self, label: str) -> Path:
        return self.shots.take(self.page, f"{self.test_name}-{label}")

    def sign_in(self, key: str, next_path: str | None = None) -> Response:
        """Signs in through the form, as a person would; answers the response of the POST."""
        login = "/ui/login" + (f"?next={next_path}" if next_path else "")
        if not self.page.url.startswith(self.url(login)):
            self.visit(login, "login")
        form = self.page.locator("form#login")
        form.locator("input[name=api_key]").fill(key)
        with self.page.expect_navigation() as navigation:
            form.locator("button[type=submit]").click()
        response = navigation.value
        assert response is not None
        return response

    def submit(self, button, label: str) -> Response:
        """Clicks a form's button, follows the answer (a 303 and the page it leads to) and
        photographs it; an answer other than 200 fails with what the page says."""
        with self.page.expect_navigation() as navigation:
            button.click()
        response = navigation.value
        self.shot(label)
        if response is None or response.status != 200:
            said = self.page.locator("main#content").all_inner_texts() or [self.page.content()[:500]]
            raise AssertionError(f"submitting {label} was answered {response.status if response else 'nothing'}: {' '.join(said)[:500]}")
        return response

    def sign_in_to(self, key: str, landing: str = "/ui") -> None:
        """Signs in and fails with the page's own explanation unless the browser lands on `landing`."""
        response = self.sign_in(key, next_path=None if landing == "/ui" else landing)
        if self.pathname() != landing:
            errors = self.page.locator("p.error").all_inner_texts()
            raise AssertionError(f"signing in was answered {response.status} at {self.page.url}, not {landing}: {errors or 'no p.error'}")

    def pathname(self) -> str:
        return self.page.evaluate("location.pathname")

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Polls `condition` while the page keeps running: Playwright's sync API delivers events
        (frames, console messages) only while a call into it waits, so a plain sleep would starve them."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout:.0f} s")
            self.page.wait_for_timeout(100)

    def field_value(self, selector: str) -> str:
        """What a field shows, whether it is an input (its value) or an element (its text)."""
        return self.page.locator(selector).evaluate("e => ('value' in e && e.tagName !== 'BUTTON') ? e.value : e.textContent").strip()

    def set_field(self, field, value: str) -> None:
        """Fills a text field or picks an option, whichever control the page drew."""
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
