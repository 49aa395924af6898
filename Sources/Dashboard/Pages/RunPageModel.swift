import Engine
import EngineService
import Foundation
import JSONValues
import Orchestrator
import Store
import Workflow

/// What `/ui/runs/<id>` shows, built from the run's report: the header, the DAG and timeline
/// drawings, the steps table, and the selected step's panel (output, logs, attempts, agent
/// transcript), the run's pending approvals, violations and lineage.
struct RunPageModel {
    struct StepRow {
        var id: String
        var status: String
        var attempts: Int
        var duration: String
        var backend: String
        /// The sandbox its last attempt ran in.
        var sandbox: String
        var cost: String
        var tokens: String
        var error: String?
        var href: String
        var selected: Bool
        var failed: Bool
    }

    struct Attempt {
        var label: String
        var status: String
        var duration: String
        var error: String?
    }

    struct TranscriptEntry {
        var isTurn: Bool
        var isCall: Bool
        var isAnswer: Bool
        var title: String
        var text: String
        var isError: Bool
    }

    struct SelectedStep {
        var id: String
        var status: String
        var output: String
        var outputIsEmpty: Bool
        var error: String?
        var log: String
        /// What the step prints now, while it runs (the live output, scrubbed line by line).
        var live: String?
        var attempts: [Attempt]
        var transcript: [TranscriptEntry]
        var hasTranscript: Bool
        var canReplay: Bool
        /// Which fork changes the step's kind takes (the form shows only those).
        var takesCommand: Bool
        var takesPrompt: Bool
        var takesTurns: Bool
        var takesSandbox: Bool
    }

    struct Approval {
        var step: String
        var message: String
        var data: String?
    }

    struct Violation {
        var step: String
        var policy: String
        var severity: String
        var action: String
        var matched: String
    }

    struct Artifact {
        var path: String
        var size: String
        var href: String
    }

    struct Related {
        var id: String
        var kind: String
        var status: String
    }

    var chrome: Chrome
    var run: RunRow
    var budget: String?
    var dag: String?
    var dagTooLarge: Bool
    var timeline: String
    var steps: [StepRow]
    var selected: SelectedStep?
    var approvals: [Approval]
    var violations: [Violation]
    var parent: Related?
    var children: [Related]
    var hasChildren: Bool
    /// Files the run's steps kept (`artifacts:`), each a download.
    var artifacts: [Artifact]
    var hasArtifacts: Bool
    var hasViolations: Bool
    var isActive: Bool

    /// The most output a page shows inline; the rest is a download.
    static let outputLimit = 64 * 1024

    init(
        report: RunService.RunReport, events: [RunEvent], workflow: WorkflowDefinition?, violations: [ViolationRecord], selectedStep: String?,
        live: LiveOutput? = nil, chrome: Chrome
    ) {
        let detail = report.detail
        let run = detail.run
        let now = Date()
        self.chrome = chrome
        self.run = RunRow(run, usage: report.modelCalls.isEmpty ? nil : report.usage(), now: now)
        isActive = [.pending, .running, .waitingApproval].contains(run.status)
        budget = run.maxCostUSD.map { RunDrawings.budget(spent: report.usage().pricedCostUSD, limit: $0) }

        let records = Dictionary(detail.steps.filter { $0.fanoutIndex == nil }.map { ($0.stepID, $0) }, uniquingKeysWith: { a, _ in a })
        let items = Dictionary(grouping: detail.steps.filter { $0.fanoutIndex != nil }, by: \.stepID)
        // The workflow's steps in file order (those never reached show as pending); without the file, the recorded ones.
        let order = workflow?.steps.map(\.id) ?? detail.steps.filter { $0.fanoutIndex == nil }.map(\.stepID)
        let base = "\(Dashboard.root)/runs/\(Dashboard.urlEncoded(run.id))"
        // A step row keeps when it finished; when it started is its first attempt's start.
        let started = Dictionary(
            uniqueKeysWithValues: order.compactMap { id in
                (report.attempts[RunService.RunReport.label(id, nil)]?.map(\.startedAt).min() ?? records[id]?.startedAt).map { (id, $0) }
            })
        steps = order.map { id in
            let record = records[id]
            let usage = report.usage(step: id)
            let attempts = report.attempts[RunService.RunReport.label(id, nil)]?.count ?? 0
            return StepRow(
                id: id, status: Self.shownStatus(record?.status, run: run.status), attempts: attempts,
                duration: started[id].map { Formatting.duration(($0, record?.finishedAt ?? now)) } ?? "—",
                backend: record?.backend ?? "—", sandbox: report.attempts[RunService.RunReport.label(id, nil)]?.last?.sandboxID ?? record?.sandboxID ?? "—",
                cost: usage.calls > 0 ? Formatting.cost(usage.pricedCostUSD) : "—",
                tokens: usage.calls > 0 ? "\(usage.inputTokens) in / \(usage.outputTokens) out" : "—",
                error: record?.error.map { Formatting.clipped($0, 2000) }, href: "\(base)?step=\(Dashboard.urlEncoded(id))",
                selected: id == selectedStep, failed: record?.status == .failed)
        }
        let nodes = order.map { id -> RunDrawings.Node in
            let fanned = items[id] ?? []
            let done = fanned.filter { $0.status == .completed }.count
            return RunDrawings.Node(
                id: id, status: Self.shownStatus(records[id]?.status, run: run.status),
                subtitle: fanned.isEmpty ? nil : "\(done)/\(fanned.count) done", href: "\(base)?step=\(Dashboard.urlEncoded(id))")
        }
        let edges = (workflow?.steps ?? []).flatMap { step in step.dependsOn.map { (from: $0.value, to: step.id) } }
        dag = RunDrawings.dag(nodes: nodes, edges: edges)
        dagTooLarge = dag == nil
        timeline = RunDrawings.timeline(
            order.compactMap { id in
                started[id].map { (id, records[id]?.status.rawValue ?? "running", $0, records[id]?.finishedAt) }
            }, now: now)

        selected = selectedStep.flatMap { id in
            guard order.contains(id) else { return nil }
            var step = Self.selected(id, record: records[id], report: report, events: events, workflow: workflow)
            if let live, [.running, .pending].contains(records[id]?.status ?? .pending) {
                let texts = live.places(runID: run.id, step: id).compactMap { place in
                    live.text(at: place).map { text in place.index.map { "── item \($0) ──\n" + text } ?? text }
                }
                step.live = texts.isEmpty ? nil : texts.joined(separator: "\n")
            }
            return step
        }
        approvals = report.approvals.filter { $0.status == .pending }.map {
            Approval(step: $0.stepID, message: $0.message ?? "", data: $0.requestJSON.map(Self.pretty))
        }
        self.violations = violations.map {
            Violation(step: $0.stepID, policy: $0.policyID, severity: $0.severity, action: $0.action, matched: $0.matched ?? "")
        }
        parent = run.parentRunID.map { Related(id: $0, kind: run.lineageKind ?? "parent", status: "") }
        children = report.derived.map { Related(id: $0.id, kind: $0.lineageKind ?? "child", status: $0.status.rawValue) }
        hasChildren = !children.isEmpty
        artifacts = report.artifacts.map { file in
            Artifact(
                path: file.path, size: ByteCountFormatter.string(fromByteCount: Int64(file.size), countStyle: .file),
                href: "\(base)/artifacts?path=\(Dashboard.urlEncoded(file.path))")
        }
        hasArtifacts = !artifacts.isEmpty
        hasViolations = !self.violations.isEmpty
    }

    static func selected(
        _ id: String, record: StepRecord?, report: RunService.RunReport, events: [RunEvent], workflow: WorkflowDefinition?
    ) -> SelectedStep {
        let output = record.flatMap(WorkflowEngine.recordedOutput) ?? .null
        var text: String
        switch output {
        case .null: text = ""
        case .string(let value): text = value
        default: text = pretty(output.jsonText)
        }
        if text.utf8.count > outputLimit {
            text = String(decoding: Array(text.utf8.prefix(outputLimit)), as: UTF8.self) + "\n… (cut; the full output is in the API)"
        }
        var log = ""
        var transcript: [TranscriptEntry] = []
        for event in events {
            switch event {
            case .attemptFinished(let finished) where finished.step == id:
                log += "── attempt \(finished.attempt): \(finished.status) ──\n"
                if let tail = finished.outputTail, !tail.isEmpty { log += tail + (tail.hasSuffix("\n") ? "" : "\n") }
                if let error = finished.error { log += error + "\n" }
            case .modelTurn(let turn) where turn.place.step == id:
                transcript.append(
                    TranscriptEntry(
                        isTurn: true, isCall: false, isAnswer: false, title: "turn \(turn.turn) · \(turn.model) · \(turn.stopReason)",
                        text: turn.text, isError: false))
            case .toolCalled(let call) where call.place.step == id:
                transcript.append(
                    TranscriptEntry(isTurn: false, isCall: true, isAnswer: false, title: call.name, text: pretty(call.input.jsonText), isError: false))
            case .toolAnswered(let answer) where answer.place.step == id:
                transcript.append(
                    TranscriptEntry(
                        isTurn: false, isCall: false, isAnswer: true, title: "\(answer.name) → \(answer.outputCharacters) characters, \(answer.durationMs) ms",
                        text: answer.output, isError: answer.isError))
            default: break
            }
        }
        let attempts = (report.attempts[RunService.RunReport.label(id, nil)] ?? []).map { attempt in
            Attempt(
                label: "attempt \(attempt.attempt)",
                status: attempt.finishedAt == nil ? "running" : attempt.error == nil && (attempt.exitCode ?? 0) == 0 ? "completed" : "failed",
                duration: attempt.finishedAt.map { Formatting.duration((attempt.startedAt, $0)) } ?? "running", error: attempt.error)
        }
        let definition = workflow?.steps.first { $0.id == id }
        return SelectedStep(
            id: id, status: shownStatus(record?.status, run: report.detail.run.status), output: text, outputIsEmpty: text.isEmpty, error: record?.error,
            log: log, live: nil, attempts: attempts, transcript: transcript, hasTranscript: !transcript.isEmpty,
            canReplay: record != nil && definition != nil, takesCommand: definition?.kind == .run,
            takesPrompt: definition?.kind == .agent || definition?.kind == .llm, takesTurns: definition?.kind == .agent,
            takesSandbox: definition?.kind == .run || definition?.kind == .agent)
    }

    /// How a step reads: a step never reached (no row, or still `pending`) is to come while the
    /// run may reach it, and was left out (`skipped`) once the run is over.
    static func shownStatus(_ step: StepStatus?, run: RunStatus) -> String {
        guard step == nil || step == .pending else { return step?.rawValue ?? "pending" }
        return [.pending, .running, .waitingApproval].contains(run) ? "pending" : "skipped"
    }

    /// JSON text indented for reading (as it was when it does not parse).
    static func pretty(_ json: String) -> String {
        guard let data = json.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]),
            let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
        else { return json }
        return String(decoding: pretty, as: UTF8.self)
    }
}
