import JSONValues
import Testing
import Workflow

@testable import Dashboard

/// The run form made from a workflow's inputs, and the posted form read back: each type its
/// control, defaults filled in, bad values named on their field.
struct WorkflowRunFormTests {
    static let yaml = """
        name: typed
        inputs:
          count: {type: integer, default: 2}
          ratio: {type: number, default: 0.5}
          who: {type: string, description: "whom to greet"}
          loud: {type: boolean, default: true}
          quiet: {type: boolean, default: false}
          tags: {type: list, default: ["a", "b"]}
          extra: {type: object, required: false}
          mode: {type: string, default: fast, enum: [fast, slow]}
        steps:
          - id: greet
            run: echo hi
        """

    static func workflow() throws -> WorkflowDefinition {
        try #require(WorkflowParser().parse(yaml, file: "typed.yaml").workflow)
    }

    @Test func eachTypeGetsItsControlWithItsDefault() throws {
        let fields = Dictionary(uniqueKeysWithValues: WorkflowRunForm.fields(try Self.workflow()).map { ($0.name, $0) })
        let count = try #require(fields["count"])
        #expect(count.isNumber && count.step == "1" && count.value == "2" && count.fieldName == "input.count" && !count.required)
        #expect(fields["ratio"]?.isNumber == true && fields["ratio"]?.step == "any" && fields["ratio"]?.value == "0.5")
        let who = try #require(fields["who"])
        #expect(who.isText && who.required && who.value.isEmpty && who.hint == "whom to greet")
        #expect(fields["loud"]?.isCheckbox == true && fields["loud"]?.checked == true)
        #expect(fields["quiet"]?.isCheckbox == true && fields["quiet"]?.checked == false)
        let tags = try #require(fields["tags"])
        #expect(tags.isJSON && JSONValue.parse(json: tags.value) == .array(["a", "b"]), "a list default is JSON: \(tags.value)")
        #expect(fields["extra"]?.isJSON == true && fields["extra"]?.required == false)
        let mode = try #require(fields["mode"])
        #expect(mode.isChoice && mode.choices.map(\.value) == ["fast", "slow"] && mode.choices.first?.selected == true)
        for field in fields.values {
            #expect([field.isText, field.isNumber, field.isCheckbox, field.isJSON, field.isChoice].filter { $0 }.count == 1, "\(field.name)")
        }
    }

    @Test func aPostedFormBecomesTypedInputs() throws {
        let form = try FormInput.parse(
            "input.count=7&input.ratio=1.25&input.who=+Ada+&input.loud=true&input.tags=%5B1%2C2%5D&input.extra=%7B%22k%22%3A1%7D&max_cost_usd=0.5")
        let reading = WorkflowRunForm.read(form, for: try Self.workflow())
        #expect(reading.isValid)
        #expect(reading.inputs["count"] == .value(.integer(7)))
        #expect(reading.inputs["ratio"] == .value(.number(1.25)))
        #expect(reading.inputs["who"] == .value(.string(" Ada ")), "text is kept as typed")
        #expect(reading.inputs["loud"] == .value(.bool(true)))
        #expect(reading.inputs["quiet"] == .value(.bool(false)), "an unticked checkbox is false, not absent")
        #expect(reading.inputs["tags"] == .value(.array([.integer(1), .integer(2)])))
        #expect(reading.inputs["extra"] == .value(.object(["k": .integer(1)])))
        #expect(reading.inputs["mode"] == nil, "an empty field is not sent: the default applies")
        #expect(reading.maxCostUSD == 0.5)
    }

    @Test func unreadableValuesAreNamedOnTheirFieldAndKeptAsTyped() throws {
        let form = try FormInput.parse("input.count=abc&input.ratio=1e999&input.tags=%7B%22not%22%3A%22a+list%22%7D&input.extra=%7Bbroken&max_cost_usd=-3")
        let workflow = try Self.workflow()
        let reading = WorkflowRunForm.read(form, for: workflow)
        #expect(!reading.isValid)
        #expect(reading.fieldErrors["count"]?.contains("whole number") == true)
        #expect(reading.fieldErrors["ratio"]?.contains("must be a number") == true, "infinity is not a number a run can take")
        #expect(reading.fieldErrors["tags"]?.contains("JSON list") == true)
        #expect(reading.fieldErrors["extra"]?.contains("not valid JSON") == true)
        #expect(reading.budgetError != nil)
        let fields = WorkflowRunForm.fields(workflow, posted: form, errors: reading.fieldErrors)
        #expect(fields.first { $0.name == "count" }?.value == "abc" && fields.first { $0.name == "count" }?.problem != nil)
        #expect(fields.first { $0.name == "extra" }?.value == "{broken")
        #expect(fields.first { $0.name == "loud" }?.checked == false, "an unticked box stays unticked")
    }
}
