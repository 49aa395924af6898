import Engine
import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import NIOCore
import Orchestrator
import ServiceLifecycle
import Store

/// `GET /api/events`: every run's milestones as one event stream, in Sandcastle's shapes
/// (`run.started`, `run.completed`, `run.failed`, `step.started`, `step.completed`,
/// `step.failed`, `dlq.new`, and ours: `approval.requested`, `policy.alert`). `id:` is the event's global position in the
/// store, so `Last-Event-ID` resumes exactly after the last one seen (Sandcastle's bus keeps no
/// history and loses what happened while a client was away; this one does not).
struct SandcastleEventFeed {
    let orchestrator: Orchestrator
    let lastEventID: Int64?
    /// A tenant key's feed holds its tenant's runs only; nil (an admin) every run's.
    var tenant: String?
    var keepAlive: Duration = .seconds(15)
    var recheck: Duration = .seconds(1)

    /// Sandcastle's cap on subscribers of its bus.
    static let maxFollowers = 500
    /// A step output longer than this is cut in `step.completed`, as Sandcastle cuts it.
    static let maxOutputCharacters = 4096
    static let kinds: Set<String> = [
        "run_started", "run_finished", "step_started", "step_finished", "approval_requested", "dead_lettered", PolicyAlert.eventKind,
    ]

    func response() throws -> Response {
        guard orchestrator.signals.count < Self.maxFollowers else {
            throw SandcastleAPIError(.serviceUnavailable, "TOO_MANY_CONNECTIONS", "too many event streams are open (\(Self.maxFollowers))")
        }
        let repository = orchestrator.runs.repository
        let start = try lastEventID ?? repository.latestEventID()
        let (keepAlive, recheck) = (self.keepAlive, self.recheck)
        let orchestrator = self.orchestrator
        let tenant = self.tenant
        let body = ResponseBody { writer in
            let (signals, stop) = orchestrator.signals.subscribe(runID: nil)
            defer { stop() }
            let ticks = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: recheck)
                    orchestrator.signals.notify(runID: "")
                }
            }
            defer { ticks.cancel() }
            var cursor = start
            var workflows: [String: String] = [:]
            var visible: [String: Bool] = [:]
            var lastWrite = ContinuousClock.now
            try await writer.write(ByteBuffer(string: ": connected\n\n"))
            // Until the client leaves or the server shuts down (the signals end).
            try await withGracefulShutdownHandler {
                for await _ in signals {
                    let batch = (try? repository.events(afterID: cursor, kinds: Self.kinds, limit: 500)) ?? []
                    for (id, record) in batch {
                        cursor = id
                        if tenant != nil {
                            if visible[record.runID] == nil { visible[record.runID] = orchestrator.isVisible(runID: record.runID, to: tenant) }
                            guard visible[record.runID] == true else { continue }
                        }
                        if workflows[record.runID] == nil {
                            workflows[record.runID] = (try? repository.run(id: record.runID))?.run.workflowName ?? ""
                        }
                        guard let (type, data) = Self.event(record, workflow: workflows[record.runID] ?? "") else { continue }
                        try await writer.write(ByteBuffer(string: "id: \(id)\nevent: \(type)\ndata: \(data.jsonText)\n\n"))
                        lastWrite = .now
                    }
                    if ContinuousClock.now - lastWrite >= keepAlive {
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        lastWrite = .now
                    }
                }
            } onGracefulShutdown: {
                stop()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: SandcastleRunStream.headers, body: body)
    }

    /// The Sandcastle event a recorded one becomes, if any.
    static func event(_ record: EventRecord, workflow: String) -> (String, JSONValue)? {
        let runID = JSONValue.string(record.runID)
        let name = JSONValue.string(workflow)
        switch RunEvent(kind: record.kind, payloadJSON: record.payloadJSON) {
        case .runStarted:
            return ("run.started", ["run_id": runID, "workflow": name])
        case .runFinished(let finished) where finished.status == .completed:
            return ("run.completed", ["run_id": runID, "status": "completed", "workflow": name])
        case .runFinished(let finished):
            return (
                "run.failed",
                [
                    "run_id": runID, "workflow": name, "status": .string(SandcastleRunJSON.status(finished.status)),
                    "error": finished.error.map(JSONValue.string) ?? .null,
                ]
            )
        case .stepStarted(let started):
            return ("step.started", ["run_id": runID, "step_name": .string(started.step), "step_id": .string(started.step), "workflow": name])
        case .stepFinished(let finished) where finished.status == .completed:
            var output = finished.output ?? .null
            if case .string(let text) = output, text.count > maxOutputCharacters { output = .string(String(text.prefix(maxOutputCharacters))) }
            return (
                "step.completed",
                [
                    "run_id": runID, "step_name": .string(finished.step), "step_id": .string(finished.step), "status": "completed", "output": output,
                    "duration_seconds": .number(Double(finished.durationMs) / 1000),
                ]
            )
        case .stepFinished(let finished) where finished.status == .failed:
            return (
                "step.failed",
                [
                    "run_id": runID, "step_name": .string(finished.step), "step_id": .string(finished.step),
                    "error": finished.error.map(JSONValue.string) ?? .null,
                ]
            )
        case .deadLettered(let item):
            // Sandcastle's `dlq.new` carries run, step and error; the item's id lets a client act on it.
            return (
                "dlq.new",
                [
                    "run_id": runID, "step_name": .string(item.step), "error": item.error.map(JSONValue.string) ?? .null,
                    "dlq_item_id": .string(item.item), "workflow": name,
                ]
            )
        case .approvalRequested(let approval):
            return ("approval.requested", ["run_id": runID, "step_id": .string(approval.step), "message": .string(approval.message), "workflow": name])
        case .unrecognized(PolicyAlert.eventKind, let payload):
            // An `alert` policy fired: its record as stored (the match already masked), with the run.
            guard case .object(var data)? = JSONValue.parse(json: payload) else { return nil }
            data["run_id"] = runID
            data["workflow"] = name
            return ("policy.alert", .object(data))
        default:
            return nil
        }
    }
}
