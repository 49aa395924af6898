"""What a page must never do while a test drives it: throw an uncaught error, break the
Content-Security-Policy, or open an alert or prompt (what an XSS payload would call). Confirmations
(`data-confirm` buttons) are accepted, as the person clicking would.

A test that provokes a CSP violation on purpose takes it with `take_csp_violations()`; anything
left at the end of the test fails it.
"""

from playwright.sync_api import ConsoleMessage, Dialog, Error, Page


class PageWatch:
    def __init__(self, page: Page):
        self.page_errors: list[str] = []
        self.csp_violations: list[str] = []
        self.dialogs: list[str] = []
        self.confirmations: list[str] = []
        page.on("pageerror", self._on_page_error)
        page.on("console", self._on_console)
        page.on("dialog", self._on_dialog)

    def _on_page_error(self, error: Error) -> None:
        self.page_errors.append(f"{error.name}: {error.message}")

    def _on_console(self, message: ConsoleMessage) -> None:
        # Chromium reports a blocked script, style or connection as a console error naming the
        # policy; it is the only trace a violation leaves outside the page itself.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(f"{message.text} (at {message.location.get('url', '?')})")

    def _on_dialog(self, dialog: Dialog) -> None:
        # A confirmation the dashboard asks before an action is the person saying yes; any other
        # dialog (alert, prompt) is not something the dashboard opens.
        if dialog.type == "confirm":
            self.confirmations.append(dialog.message)
            dialog.accept()
        else:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

    def take_csp_violations(self) -> list[str]:
        """The violations so far, which the caller expected; they no longer fail the test."""
        taken, self.csp_violations = self.csp_violations, []
        return taken

    def reset(self) -> None:
        self.page_errors, self.csp_violations, self.dialogs, self.confirmations = [], [], [], []

    def problems(self) -> list[str]:
        return (
            [f"uncaught page error: {text}" for text in self.page_errors]
            + [f"Content-Security-Policy violation: {text}" for text in self.csp_violations]
            + [f"dialog opened: {text}" for text in self.dialogs]
        )

    def check(self, where: str) -> None:
        problems = self.problems()
        self.reset()
        if problems:
            raise AssertionError(f"{where}:\n  " + "\n  ".join(problems))
