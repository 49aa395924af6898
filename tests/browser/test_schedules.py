"""A schedule created from the schedules page is listed there and kept by the server (contract:
"Schedules")."""

from playwright.sync_api import expect

# January 1st, 03:00 in Berlin: a slot that cannot come while the suite runs, so the schedule
# starts no run behind the other tests' backs.
CRON = "0 3 1 1 *"
ZONE = "Europe/Berlin"


def test_a_schedule_is_created_from_the_page(ui, api):
    ui.visit("/ui/schedules", "before")
    form = ui.page.locator("form#new-schedule")
    ui.set_field(form.locator("[name=workflow_name]"), "browser_quick")
    ui.set_field(form.locator("[name=cron_expression]"), CRON)
    ui.set_field(form.locator("[name=timezone]"), ZONE)
    ui.submit(form.locator("[type=submit]"), "submitted")

    row = ui.page.locator("tr.schedule").filter(has_text="browser_quick").filter(has_text=CRON)
    expect(row).to_have_count(1)
    ui.shot("created")
    kept = [s for s in api.data("GET", "/api/schedules") if s["workflow_name"] == "browser_quick" and s["cron_expression"] == CRON]
    assert len(kept) == 1, f"the server keeps {len(kept)} such schedules"
    assert kept[0]["timezone"] == ZONE and kept[0]["enabled"], f"the schedule was kept as {kept[0]}"
