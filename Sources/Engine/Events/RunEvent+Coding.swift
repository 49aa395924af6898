import Foundation
import Store
import Workflow

extension RunEvent {
    /// The stored kind (`step_finished`, …).
    public var kind: String {
        switch self {
        case .runStarted: "run_started"
        case .runResumed: "run_resumed"
        case .runPaused: "run_paused"
        case .runFinished: "run_finished"
        case .runCancelRequested: "run_cancel_requested"
        case .stepStarted: "step_started"
        case .attemptFinished: "attempt_finished"
        case .retryScheduled: "retry_scheduled"
        case .stepFinished: "step_finished"
        case .stepSkipped: "step_skipped"
        case .stepReused: "step_reused"
        case .artifactsCollected: "artifacts_collected"
        case .approvalRequested: "approval_requested"
        case .approvalDecided: "approval_decided"
        case .workspaceSaved: "workspace_saved"
        case .workspaceNotSaved: "workspace_not_saved"
        case .workspaceRestored: "workspace_restored"
        case .workspaceNotRestored: "workspace_not_restored"
        case .modelTurn: "model_turn"
        case .toolCalled: "tool_called"
        case .toolAnswered: "tool_answered"
        case .modelRetried: "model_retried"
        case .budgetWarning: "budget_warning"
        case .budgetExceeded: "budget_exceeded"
        case .deadLettered: "dead_lettered"
        case .unrecognized(let kind, _): kind
        }
    }

    /// The stored payload: a JSON object with snake_case keys, absent fields left out.
    public func payloadJSON() -> String {
        func encoded(_ payload: some Encodable) -> String {
            // Every payload is plain data (strings, numbers, JSONValue): encoding cannot fail.
            guard let data = try? Self.encoder.encode(payload) else { return "{}" }
            return String(decoding: data, as: UTF8.self)
        }
        switch self {
        case .runStarted(let payload): return encoded(payload)
        case .runResumed(let payload): return encoded(payload)
        case .runPaused(let payload): return encoded(payload)
        case .runFinished(let payload): return encoded(payload)
        case .runCancelRequested: return "{}"
        case .stepStarted(let payload): return encoded(payload)
        case .attemptFinished(let payload): return encoded(payload)
        case .retryScheduled(let payload): return encoded(payload)
        case .stepFinished(let payload): return encoded(payload)
        case .stepSkipped(let payload): return encoded(payload)
        case .stepReused(let payload): return encoded(payload)
        case .artifactsCollected(let payload): return encoded(payload)
        case .approvalRequested(let payload): return encoded(payload)
        case .approvalDecided(let payload): return encoded(payload)
        case .workspaceSaved(let payload): return encoded(payload)
        case .workspaceNotSaved(let payload): return encoded(payload)
        case .workspaceRestored(let payload): return encoded(payload)
        case .workspaceNotRestored(let payload): return encoded(payload)
        case .modelTurn(let payload): return encoded(payload)
        case .toolCalled(let payload): return encoded(payload)
        case .toolAnswered(let payload): return encoded(payload)
        case .modelRetried(let payload): return encoded(payload)
        case .budgetWarning(let payload): return encoded(payload)
        case .budgetExceeded(let payload): return encoded(payload)
        case .deadLettered(let payload): return encoded(payload)
        case .unrecognized(_, let payloadJSON): return payloadJSON
        }
    }

    /// Reads a stored event back; a kind or payload this build cannot read is ``unrecognized(kind:payloadJSON:)``.
    public init(kind: String, payloadJSON: String) {
        let data = Data(payloadJSON.utf8)
        func decoded<Payload: Decodable>(_ type: Payload.Type, _ make: (Payload) -> RunEvent) -> RunEvent {
            guard let payload = try? JSONDecoder().decode(type, from: data) else {
                return .unrecognized(kind: kind, payloadJSON: payloadJSON)
            }
            return make(payload)
        }
        switch kind {
        case "run_started": self = decoded(RunStarted.self, RunEvent.runStarted)
        case "run_resumed": self = decoded(RunResumed.self, RunEvent.runResumed)
        case "run_paused": self = decoded(RunPaused.self, RunEvent.runPaused)
        case "run_finished": self = decoded(RunFinished.self, RunEvent.runFinished)
        case "run_cancel_requested": self = .runCancelRequested
        case "step_started": self = decoded(StepStarted.self, RunEvent.stepStarted)
        case "attempt_finished": self = decoded(AttemptFinished.self, RunEvent.attemptFinished)
        case "retry_scheduled": self = decoded(RetryScheduled.self, RunEvent.retryScheduled)
        case "step_finished": self = decoded(StepFinished.self, RunEvent.stepFinished)
        case "step_skipped": self = decoded(StepSkipped.self, RunEvent.stepSkipped)
        case "step_reused": self = decoded(StepReused.self, RunEvent.stepReused)
        case "artifacts_collected": self = decoded(ArtifactsCollected.self, RunEvent.artifactsCollected)
        case "approval_requested": self = decoded(ApprovalRequested.self, RunEvent.approvalRequested)
        case "approval_decided": self = decoded(ApprovalDecided.self, RunEvent.approvalDecided)
        case "workspace_saved": self = decoded(WorkspaceSaved.self, RunEvent.workspaceSaved)
        case "workspace_not_saved": self = decoded(WorkspaceSkipped.self, RunEvent.workspaceNotSaved)
        case "workspace_restored": self = decoded(WorkspaceRestored.self, RunEvent.workspaceRestored)
        case "workspace_not_restored": self = decoded(WorkspaceSkipped.self, RunEvent.workspaceNotRestored)
        case "model_turn": self = decoded(ModelTurn.self, RunEvent.modelTurn)
        case "tool_called": self = decoded(ToolCalled.self, RunEvent.toolCalled)
        case "tool_answered": self = decoded(ToolAnswered.self, RunEvent.toolAnswered)
        case "model_retried": self = decoded(ModelRetried.self, RunEvent.modelRetried)
        case "budget_warning": self = decoded(Budget.self, RunEvent.budgetWarning)
        case "budget_exceeded": self = decoded(Budget.self, RunEvent.budgetExceeded)
        case "dead_lettered": self = decoded(DeadLettered.self, RunEvent.deadLettered)
        default: self = .unrecognized(kind: kind, payloadJSON: payloadJSON)
        }
    }

    /// A stored event record, read back.
    public init(_ record: EventRecord) {
        self.init(kind: record.kind, payloadJSON: record.payloadJSON)
    }

    /// Sorted keys: the stored text is stable, so equal events are equal bytes.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// One flat object, `{"kind": …, <payload fields>}`: the form an API or a stream sends.
extension RunEvent: Codable {
    private enum KindKey: String, CodingKey { case kind }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: KindKey.self)
        try container.encode(kind, forKey: .kind)
        guard case .object(var fields)? = JSONValue.parse(json: payloadJSON()) else { return }
        fields["kind"] = .string(kind)
        try JSONValue.object(fields).encode(to: encoder)
    }

    public init(from decoder: any Decoder) throws {
        let kind = try decoder.container(keyedBy: KindKey.self).decode(String.self, forKey: .kind)
        guard case .object(var fields) = try JSONValue(from: decoder) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an event is a JSON object"))
        }
        fields["kind"] = nil
        self.init(kind: kind, payloadJSON: JSONValue.object(fields).jsonText)
    }
}

extension RunChange {
    /// `event` recorded for run `runID` in the same commit as the other changes.
    static func event(_ runID: String, _ event: RunEvent) -> RunChange {
        .event(runID, event.kind, event.payloadJSON())
    }
}

extension RunRepository {
    /// Appends `event` to run `runID`'s events.
    @discardableResult
    func append(_ event: RunEvent, runID: String) throws -> Int64 {
        try appendEvent(runID: runID, kind: event.kind, payloadJSON: event.payloadJSON())
    }
}
