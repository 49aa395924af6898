import Foundation
import Testing

@testable import Dashboard

/// The pieces of the operations pages that need no server: one-time forms, paging links that
/// keep their filters, and the new-key form's checks.
struct OpsFormsTests {
    @Test func aOneTimeFormActsOnceUnlessItsActionFailed() {
        let forms = OneTimeForms(capacity: 3)
        let value = forms.issue()
        #expect(value.count >= 40 && value != forms.issue(), "random, not reused")
        #expect(forms.claim(value))
        #expect(!forms.claim(value), "a repeat is refused")
        #expect(forms.made(by: value) == nil)
        forms.record(value, made: "key_1 (sc_ab…)")
        #expect(forms.made(by: value) == "key_1 (sc_ab…)")

        let failed = forms.issue()
        #expect(forms.claim(failed))
        forms.release(failed)
        #expect(forms.claim(failed), "a failed action leaves the form usable")
        forms.record("never-claimed", made: "x")
        #expect(forms.made(by: "never-claimed") == nil, "only a claimed value records what it made")
    }

    @Test func oneTimeFormsForgetTheOldestPastTheirCapacity() {
        let forms = OneTimeForms(capacity: 2)
        #expect(forms.claim("a") && forms.claim("b") && forms.claim("c"))
        #expect(forms.claim("a"), "the oldest was forgotten")
        #expect(!forms.claim("c"))
    }

    @Test func pageLinksKeepTheFiltersEncoded() {
        let paging = PageLinks(asked: "2", size: 50)
        #expect(paging.offset == 50)
        let filters = [("policy", "a&b=c d"), ("run", ""), ("severity", "high")]
        #expect(paging.previous("/ui/violations", filters) == "/ui/violations?policy=a%26b%3Dc%20d&severity=high&page=1")
        #expect(paging.next("/ui/violations", filters, total: 101) == "/ui/violations?policy=a%26b%3Dc%20d&severity=high&page=3")
        #expect(paging.next("/ui/violations", filters, total: 100) == nil, "nothing beyond the last page")
        #expect(PageLinks(asked: "1", size: 50).previous("/ui/x", []) == nil)
        #expect(PageLinks(asked: "-4", size: 50).page == 1 && PageLinks(asked: "lots", size: 50).page == 1)
        #expect(PageLinks(asked: "99999999", size: 50).page == PageLinks.maxPage)
        #expect(PageLinks.link("/ui/keys", []) == "/ui/keys")
    }

    @Test func theNewKeyFormIsCheckedAsTheAPIChecksIt() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let made = try NewKeyForm(
            FormInput.parse("name=ci&tenant_id=+acme+&expires_in_days=2&max_cost_per_run_usd=1.5&allowed_workflows=a%2C+b%0Aa"), now: now
        ).key
        #expect(made.name == "ci" && made.tenantID == "acme" && made.maxCostPerRunUSD == 1.5)
        #expect(made.expiresAt == now.addingTimeInterval(2 * 86_400))
        #expect(made.allowedWorkflows == ["a", "b"], "split on commas and lines, repeats dropped")
        let admin = try NewKeyForm(FormInput.parse("name=ops"), now: now).key
        #expect(admin.tenantID == nil && admin.allowedWorkflows == nil && admin.expiresAt == nil)
        for bad in [
            "tenant_id=acme", "name=x&expires_in_days=0", "name=x&expires_in_days=soon", "name=x&max_cost_per_run_usd=-1",
            "name=" + String(repeating: "n", count: 201), "name=x&max_cost_per_run_usd=nan",
        ] {
            #expect(throws: DashboardError.self, "\(bad.prefix(40))") { try NewKeyForm(FormInput.parse(bad), now: now) }
        }
    }
}
