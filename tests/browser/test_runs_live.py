"""The runs list is live: a run started through the API appears and turns completed without a
reload (contract: "Runs"), and the list's filters live in the address."""

import re

from playwright.sync_api import expect


def test_a_run_started_through_the_api_appears_and_completes_live(ui, api):
    with ui.page.expect_response(lambda answer: "/ui/stream" in answer.url and "scope=runs" in answer.url) as stream:
        ui.visit("/ui/runs", "before-the-run")
    assert stream.value.status == 200, f"the runs stream answered {stream.value.status}"
    assert stream.value.headers.get("content-type", "").startswith("text/event-stream")
    # A reload would make a new document, and this mark would be gone.
    ui.page.evaluate("window.__sameDocument = true")

    run_id = api.start_run("browser_quick")
    row = ui.page.locator(f'table#runs tbody tr.run[id="run-{run_id}"]')
    expect(row).to_be_visible()
    # browser_quick sleeps 4 s: the row must be seen before it is done, so what follows is a change.
    first_status = row.get_attribute("data-status")
    assert first_status in {"queued", "running"}, f"the new row first showed data-status={first_status}"
    ui.shot("run-appeared")
    expect(row).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(row.locator(".status")).to_contain_text(re.compile("completed", re.IGNORECASE))
    assert ui.page.evaluate("window.__sameDocument === true"), "the page reloaded to show the change"
    ui.shot("run-completed")
    assert api.run(run_id)["status"] == "completed"

    # The filters are in the address, so the view can be linked and survives a reload.
    ui.visit("/ui/runs?status=completed&workflow=browser_quick", "filtered-completed")
    expect(row).to_be_visible()
    statuses = ui.page.locator("table#runs tbody tr.run").evaluate_all("rows => rows.map(r => r.dataset.status)")
    assert statuses and set(statuses) == {"completed"}, f"status=completed lists {statuses}"
    assert ui.field_value("form#run-filters [name=status]") == "completed"
    assert ui.field_value("form#run-filters [name=workflow]") == "browser_quick"
    ui.visit("/ui/runs?status=failed&workflow=browser_quick", "filtered-failed")
    expect(row).to_have_count(0)
