"""A pending approval decided from the approvals page lets its run go on to the end (contract:
"Approvals")."""

from playwright.sync_api import expect


def test_approving_from_the_page_lets_the_run_complete(ui, api):
    run_id = api.start_run("browser_gated")
    api.wait_for_run(run_id, {"awaiting_approval"})
    try:
        approve_from_the_page(ui, api, run_id)
    finally:
        # A run left at its gate keeps its workspace volume; rejected, it ends and frees it, so
        # the session's check for leftovers stays meaningful when this test fails.
        if api.run(run_id)["status"] == "awaiting_approval":
            api.request("POST", f"/api/approvals/{run_id}.gate/reject", {"comment": "the browser test failed"})
            api.wait_for_run(run_id, {"failed", "cancelled"})


def approve_from_the_page(ui, api, run_id: str) -> None:
    ui.visit("/ui/approvals", "pending")
    card = ui.page.locator(f'article.approval[data-run="{run_id}"][data-step="gate"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("Ship abc123?")
    comment = "looks right to me (browser test)"
    card.locator("textarea[name=comment]").fill(comment)
    ui.submit(card.locator('button[name=decision][value="approve"]'), "approved")

    ui.visit(f"/ui/runs/{run_id}", "run-after-approval")
    expect(ui.page.locator("#run-status")).to_have_attribute("data-status", "completed", timeout=60_000)
    expect(ui.page.locator('svg#dag g.node[data-step="ship"]')).to_have_attribute("data-status", "completed")
    ui.shot("run-completed")
    decision = api.data("GET", f"/api/approvals/{run_id}.gate")
    assert decision["status"] == "approved", f"the approval is {decision['status']}"
    assert decision["reviewer_comment"] == comment, f"the comment was recorded as {decision['reviewer_comment']!r}"
