import Foundation
import JSONValues
import Orchestrator
import Testing

@testable import EngineService
@testable import ServerCompat
@testable import Store

/// The shapes of `/api`'s answers that Sandcastle's SDK and CLI need and that the live suite
/// (SandcastleSDKTests) cannot reach with shell-only workflows: costs of model calls without a
/// price, the order and timing of steps that started late or not at all, saving a workflow whose
/// text names it otherwise, and long lists of workflow problems.
@Suite struct SandcastleAnswerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func report(
        steps: [StepRecord], attempts: [String: [StepAttemptRecord]] = [:], modelCalls: [ModelCallRecord] = [], status: RunStatus = .running
    ) -> RunService.RunReport {
        let run = RunRecord(id: "r1", workflowName: "w", status: status, createdAt: t0, startedAt: t0)
        return RunService.RunReport(
            detail: RunDetail(run: run, steps: steps), attempts: attempts, approvals: [], derived: [], artifacts: [],
            artifactsDirectory: "/nowhere", modelCalls: modelCalls)
    }

    static func call(step: String, cost: Double?) -> ModelCallRecord {
        ModelCallRecord(runID: "r1", stepID: step, attempt: 1, turn: 1, provider: "p", model: "m-\(step)", costUSD: cost)
    }

    static func steps(_ body: JSONValue) -> [[String: JSONValue]] {
        guard case .array(let items)? = body.child("steps") else { return [] }
        return items.compactMap { if case .object(let members) = $0 { members } else { nil } }
    }

    static func text(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { text } else { nil }
    }

    // MARK: costs

    /// The CLI formats costs with `:.4f`, which fails on null: an unpriced call leaves the cost a
    /// number (the priced part) and says how many calls it lacks.
    @Test func costsAreNumbersAndUnpricedCallsAreCounted() throws {
        let report = Self.report(
            steps: [StepRecord(runID: "r1", stepID: "ask", status: .completed), StepRecord(runID: "r1", stepID: "free", status: .completed)],
            modelCalls: [Self.call(step: "ask", cost: nil), Self.call(step: "ask", cost: 0.25), Self.call(step: "free", cost: nil)])
        let body = SandcastleRunJSON.detail(report, submission: nil, now: Self.t0)
        #expect(body.child("total_cost_usd") == .number(0.25))
        #expect(body.child("unpriced_model_calls") == .integer(2))
        let byID = Dictionary(uniqueKeysWithValues: Self.steps(body).map { (Self.text($0["step_id"]) ?? "", $0) })
        #expect(byID["ask"]?["cost_usd"] == .number(0.25))
        #expect(byID["ask"]?["unpriced_model_calls"] == .integer(1))
        #expect(byID["free"]?["cost_usd"] == .number(0), "no priced call: 0, with its unpriced one counted")
        #expect(byID["free"]?["unpriced_model_calls"] == .integer(1))
        #expect(byID["free"]?["model"] == .string("m-free"))

        let run = RunRecord(id: "r1", workflowName: "w", status: .completed)
        let unpriced = ModelUsageTotals(summing: [Self.call(step: "ask", cost: nil)])
        let summary = SandcastleRunJSON.summary(run, usage: unpriced)
        #expect(summary.child("total_cost_usd") == .number(0))
        #expect(summary.child("unpriced_model_calls") == .integer(1))
        #expect(SandcastleRunJSON.summary(run, usage: nil).child("total_cost_usd") == .number(0), "no model call at all")
        #expect(SandcastleRunJSON.summary(run, usage: nil).child("unpriced_model_calls") == .integer(0))
    }

    // MARK: steps

    /// Steps read from their attempts: the first start, the last attempt's number, a duration
    /// that is always a number; listed in the order they started, those not started last.
    @Test func stepsCarryTheirAttemptsAndComeInTheOrderTheyStarted() throws {
        let t0 = Self.t0
        let report = Self.report(
            steps: [
                StepRecord(runID: "r1", stepID: "a_late", status: .running),
                StepRecord(runID: "r1", stepID: "b_first", status: .completed, outputText: "ok", finishedAt: t0.addingTimeInterval(9)),
                StepRecord(runID: "r1", stepID: "c_waiting", status: .pending),
            ],
            attempts: [
                "b_first": [
                    StepAttemptRecord(runID: "r1", stepID: "b_first", attempt: 1, startedAt: t0.addingTimeInterval(1), finishedAt: t0.addingTimeInterval(3)),
                    StepAttemptRecord(runID: "r1", stepID: "b_first", attempt: 2, startedAt: t0.addingTimeInterval(4), finishedAt: t0.addingTimeInterval(9)),
                ],
                "a_late": [StepAttemptRecord(runID: "r1", stepID: "a_late", attempt: 1, startedAt: t0.addingTimeInterval(10))],
            ])
        let steps = Self.steps(SandcastleRunJSON.detail(report, submission: nil, now: t0.addingTimeInterval(12.5)))
        #expect(steps.map { Self.text($0["step_id"]) } == ["b_first", "a_late", "c_waiting"])

        #expect(steps[0]["attempt"] == .integer(2), "the last attempt's number")
        #expect(steps[0]["duration_seconds"] == .number(8), "from the first attempt's start to the step's end, retries included")
        #expect(
            Self.text(steps[0]["started_at"]).flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) } == t0.addingTimeInterval(1))
        #expect(steps[0]["output"] == .string("ok"))

        #expect(steps[1]["status"] == .string("running"))
        #expect(steps[1]["duration_seconds"] == .number(2.5), "a running step: its time so far")
        #expect(steps[1]["attempt"] == .integer(1))

        #expect(steps[2]["status"] == .string("pending"))
        #expect(steps[2]["attempt"] == .integer(1), "Sandcastle's minimum, for a step that has not started")
        #expect(steps[2]["duration_seconds"] == .number(0))
        #expect(steps[2]["started_at"] == .null)
    }

    /// A fan-out step's own row sums up its items; each item shows its own attempts and calls.
    @Test func aFanOutRowSumsUpItsItems() throws {
        let t0 = Self.t0
        let item = { (index: Int, start: Double, end: Double, attempt: Int) in
            StepAttemptRecord(
                runID: "r1", stepID: "each", fanoutIndex: index, attempt: attempt, startedAt: t0.addingTimeInterval(start),
                finishedAt: t0.addingTimeInterval(end))
        }
        let call = { (index: Int, cost: Double) in
            ModelCallRecord(runID: "r1", stepID: "each", fanoutIndex: index, attempt: 1, turn: 1, provider: "p", model: "m", costUSD: cost)
        }
        let report = Self.report(
            steps: [
                StepRecord(runID: "r1", stepID: "each", status: .completed),
                StepRecord(runID: "r1", stepID: "each", fanoutIndex: 0, status: .completed, outputText: "a"),
                StepRecord(runID: "r1", stepID: "each", fanoutIndex: 1, status: .completed, outputText: "b"),
                StepRecord(runID: "r1", stepID: "first", status: .completed),
            ],
            attempts: [
                "each[0]": [item(0, 2, 5, 1)], "each[1]": [item(1, 3, 4, 1), item(1, 4, 7, 2)],
                "first": [StepAttemptRecord(runID: "r1", stepID: "first", attempt: 1, startedAt: t0, finishedAt: t0.addingTimeInterval(1))],
            ],
            modelCalls: [call(0, 0.5), call(1, 0.25)], status: .completed)
        let steps = Self.steps(SandcastleRunJSON.detail(report, submission: nil, now: t0))
        #expect(steps.map { Self.text($0["step_id"]) } == ["first", "each", "each", "each"])
        #expect(steps.map { $0["parallel_index"] } == [.null, .null, .integer(0), .integer(1)], "the fan-out's own row before its items")
        #expect(steps[1]["duration_seconds"] == .number(5), "from the first item's start to the last item's end")
        #expect(steps[1]["attempt"] == .integer(2) && steps[1]["cost_usd"] == .number(0.75))
        #expect(steps[2]["cost_usd"] == .number(0.5) && steps[2]["duration_seconds"] == .number(3))
        #expect(steps[3]["cost_usd"] == .number(0.25) && steps[3]["attempt"] == .integer(2))
    }

    // MARK: saving under another name

    @Test func savingRewritesTheTopLevelNameAsSandcastleDoes() throws {
        let text = "# a comment\nname: draft  # old name\ndescription: d\nsteps:\n  - id: a\n    name: inner\n    run: echo\n"
        let renamed = try SandcastleWorkflowName.renaming(text, to: "report")
        #expect(renamed == "# a comment\nname: \"report\"\ndescription: d\nsteps:\n  - id: a\n    name: inner\n    run: echo\n")

        let same = "name: report # kept as written\nsteps:\n  - id: a\n    run: echo\n"
        #expect(try SandcastleWorkflowName.renaming(same, to: "report") == same, "already the name: untouched, comment and all")

        let crlf = "name: x\r\nsteps:\r\n  - id: a\r\n    run: echo\r\n"
        #expect(try SandcastleWorkflowName.renaming(crlf, to: "y") == "name: \"y\"\r\nsteps:\r\n  - id: a\r\n    run: echo\r\n")

        // A name YAML would read as a number is quoted, so it stays the text it is.
        let numeric = try SandcastleWorkflowName.renaming("name: x\nsteps:\n  - id: a\n    run: echo\n", to: "123")
        #expect(numeric.hasPrefix("name: \"123\"\n"))

        let broken = "name: [unclosed\nsteps: 3\n"
        #expect(try SandcastleWorkflowName.renaming(broken, to: "z") == broken, "unparseable: left for saving to report")
    }

    @Test func aNameThatCannotBeRewrittenIsAClearError() throws {
        let flow = "{name: other, steps: [{id: a, run: echo}]}\n"
        let error = try #require(throws: SandcastleAPIError.self) { try SandcastleWorkflowName.renaming(flow, to: "mine") }
        #expect(error.code == "INVALID_WORKFLOW" && error.status == .badRequest)
        #expect(error.message.contains("\"other\"") && error.message.contains("\"mine\""), "\(error.message)")
        // A folded name spans lines: rewriting its first line alone would change the text after it.
        let folded = "name: >-\n  other\n  words\nsteps:\n  - id: a\n    run: echo\n"
        #expect(throws: SandcastleAPIError.self) { try SandcastleWorkflowName.renaming(folded, to: "mine") }
        #expect(throws: OrchestratorError.self) { try SandcastleWorkflowName.renaming(flow, to: "../etc") }
    }

    // MARK: problems in the message

    /// The SDK keeps only `code` and `message`: the problems go into the message too, capped.
    @Test func workflowProblemsReachTheMessageCapped() throws {
        let one = OrchestratorError(.invalidWorkflow, "the workflow has 1 error", details: ["w.yaml:3:5: unknown field `runn`"])
        #expect(SandcastleEnvelope.message(of: one) == "the workflow has 1 error: w.yaml:3:5: unknown field `runn`")
        #expect(SandcastleEnvelope.message(of: OrchestratorError(.runNotFound, "run x not found")) == "run x not found")

        let many = OrchestratorError(
            .invalidWorkflow, "the workflow has 500 errors", details: (1...500).map { "problem \($0) " + String(repeating: "x", count: 40) })
        let message = SandcastleEnvelope.message(of: many)
        #expect(message.count < 4100)
        #expect(message.hasPrefix("the workflow has 500 errors: problem 1 x"))
        #expect(message.hasSuffix("more in `details`)"), "\(message.suffix(80))")

        let huge = OrchestratorError(.invalidWorkflow, "the workflow has 1 error", details: [String(repeating: "y", count: 10_000)])
        let cut = SandcastleEnvelope.message(of: huge)
        #expect(cut.count < 4100 && cut.hasSuffix("…"), "a single long problem is cut, not dropped")
    }
}
