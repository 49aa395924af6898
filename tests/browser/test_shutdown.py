"""An operator stops the server (SIGTERM) while someone watches the dashboard: the page's live
stream must not hold the server up (contract: "SSE"; docs/server.md: SIGTERM stops the server).
Its own server, so stopping it leaves the session's alone."""

import time

from harness.dashboard import Dashboard
from harness.server import ServedSandcastle
from harness.watch import PageWatch

# What a stop costs without a dashboard open: about 2 s on the CI machine (debug build).
STOP_WITHIN_SECONDS = 10


def test_sigterm_stops_the_server_while_a_page_follows_it_live(browser, binary, ui_assets, artifacts, shots, tmp_path, request):
    served = ServedSandcastle(binary, tmp_path / "served", ui_assets, artifacts / "server-shutdown.log")
    served.start()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        ui = Dashboard(page, served.url, shots, PageWatch(page))
        ui.test_name = request.node.name
        ui.sign_in_to(served.admin_key)
        with page.expect_response(lambda answer: "/ui/stream" in answer.url) as stream:
            ui.visit("/ui/runs", "following-live")
        assert stream.value.status == 200, f"the runs stream answered {stream.value.status}"
        ui.watch.check("the page misbehaved before the stop")

        started = time.monotonic()
        stopped = served.stop(timeout=STOP_WITHIN_SECONDS)
        assert stopped, f"sandcastle serve was still running {STOP_WITHIN_SECONDS} s after SIGTERM while a page followed its live stream"
        print(f"stopped {time.monotonic() - started:.1f} s after SIGTERM with a live page open")
    finally:
        context.close()
        served.stop(timeout=5)
        left = served.leftovers()
        served.remove(left)
    assert not left, f"the server left Docker objects behind (removed now): {left}"
