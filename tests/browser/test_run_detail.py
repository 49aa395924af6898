"""The run page draws the workflow's DAG (one node per step, a fan-out being one) with live step
states, and shows a failed step's error (contract: "Run detail")."""

from playwright.sync_api import expect

# browser_fails.yaml: items → fan (3 items, one node) → break (exits 3) → never.
STEPS = ["break", "fan", "items", "never"]


def test_the_run_page_draws_the_dag_and_shows_the_failed_steps_error(ui, api):
    run_id = api.start_run("browser_fails")
    ui.visit(f"/ui/runs/{run_id}", "while-running")
    run_status = ui.page.locator("#run-status")
    expect(run_status).to_have_attribute("data-status", "failed", timeout=60_000)

    nodes = ui.page.locator("svg#dag g.node")
    expect(nodes).to_have_count(len(STEPS))
    drawn = nodes.evaluate_all("nodes => nodes.map(n => [n.dataset.step, n.dataset.status])")
    assert sorted(step for step, _ in drawn) == STEPS, f"the DAG draws {drawn}"
    statuses = dict(drawn)
    assert statuses["items"] == "completed" and statuses["fan"] == "completed", f"node states: {statuses}"
    expect(ui.page.locator('svg#dag g.node[data-step="break"]')).to_have_attribute("data-status", "failed")
    assert statuses["never"] not in {"completed", "running", "failed"}, f"a step after the failure shows {statuses['never']}"

    for step in STEPS:
        expect(ui.page.locator(f'table#steps tr.step[id="step-{step}"]')).to_be_attached()
    recorded = next(step for step in api.run(run_id)["steps"] if step["step_id"] == "break")
    assert recorded["error"], f"the API recorded no error for the failed step: {recorded}"
    expect(ui.page.locator(".step-error").filter(has_text=recorded["error"]).first).to_be_visible()
    ui.shot("failed")

    # The selected step is in the address, so a link opens the failure itself.
    ui.visit(f"/ui/runs/{run_id}?step=break", "step-break")
    expect(ui.page.locator(".step-error").filter(has_text=recorded["error"]).first).to_be_visible()
