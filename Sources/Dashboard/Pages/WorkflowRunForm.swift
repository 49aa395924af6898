import Foundation
import JSONValues
import Workflow

/// The **Run** form of `/ui/workflows/<name>`, generated from the workflow's `inputs:` — one
/// field per input, its control chosen by the input's type — and the posted form read back into
/// typed input values. A value that cannot be read (text in a number field, JSON that does not
/// parse) is reported on its field and the form is shown again with every value as typed; the
/// workflow's own rules (required inputs, `enum`) are then checked by the orchestrator, as for
/// `POST /api/workflows/run`.
struct WorkflowRunForm: Sendable {
    /// One input as a form field (`templates/workflow-input.mustache`).
    struct Field: Sendable {
        struct Choice: Sendable {
            var value: String
            var selected: Bool
        }

        var name: String
        /// The form field's name: `input.<name>` (never clashes with `csrf` or `max_cost_usd`).
        var fieldName: String
        /// The element id (`input-<name>`), for the label.
        var fieldID: String
        var type: String
        /// The input's `description:` (not `description`: Mustache would read the page's when this is nil).
        var hint: String?
        var required: Bool
        /// Exactly one of these is true: the control to draw.
        var isText: Bool
        var isNumber: Bool
        var isCheckbox: Bool
        var isJSON: Bool
        var isChoice: Bool
        /// `1` for an integer, `any` for a number.
        var step: String
        var value: String
        var checked: Bool
        var choices: [Choice]
        /// Why the posted value cannot be read (not `error`, for the same reason as ``hint``).
        var problem: String?
    }

    /// A posted form, read: the inputs to submit, or what is wrong with it.
    struct Reading: Sendable {
        var inputs: [String: InputValue]
        var maxCostUSD: Double?
        /// Per input name, why its value cannot be read.
        var fieldErrors: [String: String]
        /// Why the budget cannot be read.
        var budgetError: String?
        var isValid: Bool { fieldErrors.isEmpty && budgetError == nil }
    }

    static let fieldPrefix = "input."
    static let budgetField = "max_cost_usd"

    /// The fields of `workflow`'s inputs: defaults pre-filled, or the values of a form posted
    /// before (`posted`, by field name) with their errors.
    static func fields(_ workflow: WorkflowDefinition, posted: FormInput? = nil, errors: [String: String] = [:]) -> [Field] {
        workflow.inputs.map { input in
            let fieldName = fieldPrefix + input.name
            let isChoice = input.allowedValues.map { !$0.isEmpty } ?? false && input.type != .boolean
            let isCheckbox = input.type == .boolean
            let isJSON = !isChoice && (input.type == .list || input.type == .object)
            let isNumber = !isChoice && (input.type == .number || input.type == .integer)
            let value: String
            let checked: Bool
            if let posted {
                value = posted.values[fieldName] ?? ""
                checked = posted.values[fieldName] != nil
            } else {
                value = input.defaultValue.map { Self.text(of: $0, json: isJSON) } ?? ""
                checked = input.defaultValue == .bool(true)
            }
            let choices = (input.allowedValues ?? []).map { Field.Choice(value: $0.renderedString, selected: $0.renderedString == value) }
            return Field(
                name: input.name, fieldName: fieldName, fieldID: "input-\(input.name)", type: input.type.rawValue, hint: input.description,
                required: input.required && !isCheckbox, isText: !isChoice && !isCheckbox && !isJSON && !isNumber, isNumber: isNumber,
                isCheckbox: isCheckbox, isJSON: isJSON, isChoice: isChoice, step: input.type == .integer ? "1" : "any", value: value,
                checked: checked, choices: choices, problem: errors[input.name])
        }
    }

    /// Reads the posted form against `workflow`'s inputs. A field left empty is not sent, so the
    /// input's default applies (or the orchestrator reports a required input without a value);
    /// a checkbox is always sent, as true or false.
    static func read(_ form: FormInput, for workflow: WorkflowDefinition) -> Reading {
        var reading = Reading(inputs: [:], maxCostUSD: nil, fieldErrors: [:], budgetError: nil)
        for input in workflow.inputs {
            let raw = form.values[fieldPrefix + input.name]
            if input.type == .boolean {
                reading.inputs[input.name] = .value(.bool(raw != nil))
                continue
            }
            guard let raw, !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            switch value(raw, as: input.type) {
            case .success(let value): reading.inputs[input.name] = .value(value)
            case .failure(let problem): reading.fieldErrors[input.name] = problem.message
            }
        }
        if let text = form[budgetField]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            if let budget = Double(text), budget.isFinite, budget >= 0 {
                reading.maxCostUSD = budget
            } else {
                reading.budgetError = "the budget must be a number of US dollars ≥ 0, not \(String(reflecting: String(text.prefix(40))))"
            }
        }
        return reading
    }

    struct Problem: Error {
        var message: String
    }

    /// The typed value of a field's text.
    static func value(_ text: String, as type: InputType) -> Result<JSONValue, Problem> {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = String(reflecting: String(trimmed.prefix(40)))
        switch type {
        case .integer:
            guard let number = Int(trimmed) else { return .failure(Problem(message: "must be a whole number, not \(shown)")) }
            return .success(.integer(number))
        case .number:
            if let number = Int(trimmed) { return .success(.integer(number)) }
            guard let number = Double(trimmed), number.isFinite else { return .failure(Problem(message: "must be a number, not \(shown)")) }
            return .success(.number(number))
        case .list, .object:
            let wanted = type == .list ? "a JSON list ([…])" : "a JSON object ({…})"
            guard let value = JSONValue.parse(json: trimmed) else { return .failure(Problem(message: "must be \(wanted); this is not valid JSON")) }
            guard type.accepts(value) else { return .failure(Problem(message: "must be \(wanted), not a \(value.typeName)")) }
            return .success(value)
        default:
            // Text as typed: leading and trailing spaces may matter to the workflow.
            return .success(.string(text))
        }
    }

    /// How a default reads in its field: strings as they are, lists and objects as indented JSON.
    static func text(of value: JSONValue, json: Bool) -> String {
        json ? RunPageModel.pretty(value.jsonText) : value.renderedString
    }
}
