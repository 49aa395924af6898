import Testing

@testable import Dashboard

/// Forms as browsers encode them, and what is refused.
struct FormInputTests {
    @Test func decodesPlusAndPercentAndKeepsTheFirstOfARepeatedName() throws {
        let form = try FormInput.parse("api_key=sk%2Bx&comment=ship+it%21&comment=second&empty=")
        #expect(form["api_key"] == "sk+x")
        #expect(form["comment"] == "ship it!")
        #expect(form["empty"] == nil, "an empty value reads as absent")
    }

    @Test func refusesNULBytesAndBrokenEncoding() {
        #expect(throws: DashboardError.self) { try FormInput.parse("a=x%00y") }
        #expect(throws: DashboardError.self) { try FormInput.parse("a=%zz") }
    }

    @Test func requiredNamesTheMissingField() throws {
        let form = try FormInput.parse("a=1")
        #expect(throws: DashboardError.self) { try form.required("step") }
        do {
            _ = try form.required("step")
        } catch let error as DashboardError {
            #expect(error.code == .invalidInput && error.message.contains("step"))
        }
    }
}
