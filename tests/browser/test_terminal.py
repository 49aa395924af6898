"""A sandbox's terminal in the page: xterm.js (bundled at setup from Debian's node-xterm) over the
dashboard's WebSocket; typing `echo hi` reads `hi` back (contract: "Sandboxes")."""

import re

from playwright.sync_api import WebSocket, expect

# The screen as text: xterm 3's accessibility tree (screenReaderMode) or its DOM renderer's rows.
SCREEN = "#terminal .xterm-accessibility-tree, #terminal .xterm-rows"
# CSI and OSC control sequences, as a shell writes them around its prompt.
ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07)")


def test_echo_hi_in_a_sandbox_terminal(ui, api, server, ui_assets):
    # The page loads the bundle scripts/ui-assets built, byte for byte.
    served = ui.page.request.get(server.url + "/ui/vendor/xterm.js")
    assert served.status == 200, f"/ui/vendor/xterm.js answered {served.status}"
    assert served.body() == (ui_assets / "xterm.js").read_bytes(), "/ui/vendor/xterm.js is not the bundle in SANDCASTLE_UI_ASSETS"

    sandbox_id = api.create_sandbox()
    try:
        ui.visit("/ui/sandboxes", "list")
        expect(ui.page.locator(f'tr.sandbox[data-id="{sandbox_id}"]')).to_be_visible()

        received: list[bytes] = []
        sockets: list[WebSocket] = []

        def on_socket(socket: WebSocket) -> None:
            # Attached as the socket opens, before any frame of it is delivered.
            if f"/ui/sandboxes/{sandbox_id}/terminal/ws" in socket.url:
                sockets.append(socket)
                socket.on("framereceived", lambda payload: received.append(payload if isinstance(payload, bytes) else payload.encode()))

        ui.page.on("websocket", on_socket)
        try:
            ui.visit(f"/ui/sandboxes/{sandbox_id}/terminal", "opened")
            terminal = ui.page.locator("div#terminal")
            expect(terminal).to_be_visible()
            ui.wait_until(lambda: bool(received), 15, "the terminal's WebSocket brought the shell's first output")
            terminal.click()
            ui.page.keyboard.type("echo hi")
            ui.page.keyboard.press("Enter")
            # The shell's answer on a line of its own (the typed command is echoed as "echo hi"),
            # read without the terminal's control sequences (bash turns bracketed paste off and on
            # around each command: ESC[?2004l).
            def plain() -> str:
                text = b"".join(received).decode(errors="replace")
                return ANSI.sub("", text).replace("\r", "")

            ui.wait_until(
                lambda: re.search(r"\nhi\n", plain()) is not None,
                15,
                "`hi` came back over the WebSocket",
            )
            screen = ui.page.locator(SCREEN).first
            ui.wait_until(lambda: re.search(r"^\s*hi\s*$", screen.inner_text(), re.MULTILINE) is not None, 10, "`hi` is on the screen")
            ui.shot("echo-hi")
            assert len(sockets) == 1, f"the page opened {len(sockets)} terminal sockets"
            assert not sockets[0].is_closed(), "the terminal's socket closed"
        finally:
            ui.page.remove_listener("websocket", on_socket)
    finally:
        api.delete_sandbox(sandbox_id)
