import Foundation
import Mustache
import Testing

@testable import Dashboard

/// The view models that answer Mustache's lookups by name (``MustacheParent``, instead of
/// reflection) answer every stored property: a field added later and not listed would vanish
/// from the page without an error.
struct TemplateLookupTests {
    static func missing(_ value: some MustacheParent) -> [String] {
        Mirror(reflecting: value).children.compactMap(\.label).filter { value.child(named: $0) == nil }
    }

    @Test func everyStoredPropertyIsAnswered() {
        let step = RunPageModel.StepRow(
            id: "s", status: "failed", attempts: 2, duration: "1 s", backend: "docker", sandbox: "abc", cost: "$0.01", tokens: "1 in / 2 out",
            error: "boom", href: "/ui", selected: true, failed: true)
        #expect(Self.missing(step).isEmpty, "\(Self.missing(step))")
        var row = RunRow(.init(id: "r", workflowName: "w", error: "e"), usage: nil)
        row.lineage = "fork of p"
        #expect(Self.missing(row).isEmpty, "\(Self.missing(row))")
        let chrome = Chrome(
            title: "t", theme: "dark", nextTheme: "light", csrf: "c", nav: [], who: "admin", canSignOut: true, stream: "/ui/stream",
            location: "/ui")
        #expect(Self.missing(chrome).isEmpty, "\(Self.missing(chrome))")
        #expect(step.child(named: "nonsense") == nil)
        // RunPageModel is built from a run's report; the run page tests render every part of it.
    }
}
