import Engine
import EngineService
import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import NIOCore
import Orchestrator
import ServiceLifecycle
import Store

/// `GET /api/runs/{id}/stream`: a run's progress as server-sent events, in Sandcastle's frames
/// (`event: status|step|result`, one line of JSON as `data`), pushed as the engine records
/// things, not polled. Every frame carries `id:` = the run's event sequence number it reflects, so
/// a client that reconnects with `Last-Event-ID` gets the current status and then exactly the
/// events after that one: nothing missed, nothing twice.
///
/// - The first frame is always the run's current `status`.
/// - `step` frames as steps start, finish or are skipped; agent steps' `model_turn`,
///   `tool_called`, `tool_answered`, `model_retried` and budget events under their own names.
/// - `result` when the run ends, or pauses at an approval gate (`awaiting_approval`), then the
///   stream ends (Sandcastle's SDK treats both as terminal).
/// - `: keepalive` after `keepAlive` of silence; the store is read again at least every
///   `recheck` (runs another process drives send no signal here).
struct SandcastleRunStream {
    let orchestrator: Orchestrator
    let runID: String
    let lastEventID: Int64?
    var keepAlive: Duration = .seconds(15)
    var recheck: Duration = .seconds(1)

    static let headers: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
        return headers
    }()

    /// Kinds of recorded events passed through under their own name.
    static let passedThrough: Set<String> = ["model_turn", "tool_called", "tool_answered", "model_retried", "budget_warning", "budget_exceeded"]

    func response() throws -> Response {
        // The run must exist before the answer starts: a missing run is a 404 in the envelope.
        let start = try orchestrator.run(id: runID)
        let orchestrator = self.orchestrator
        let runID = self.runID
        let (keepAlive, recheck) = (self.keepAlive, self.recheck)
        let resumeAfter = lastEventID
        let body = ResponseBody { writer in
            let (signals, stop) = orchestrator.signals.subscribe(runID: runID)
            defer { stop() }
            // One merged wake-up source: a signal, the recheck tick, and the keep-alive deadline.
            let ticks = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: recheck)
                    orchestrator.signals.notify(runID: runID)
                }
            }
            defer { ticks.cancel() }
            var cursor = resumeAfter ?? (try? orchestrator.runs.events(runID: runID, afterSeq: 0, limit: Int.max).last?.seq) ?? 0
            try await writer.write(Self.frame("status", id: cursor, Self.statusData(start)))
            // A new follower hears where each step stands now, as Sandcastle's stream tells it
            // (a reconnecting one replays the events after its Last-Event-ID instead).
            if resumeAfter == nil {
                for (name, data) in Self.stepSnapshot(start) { try await writer.write(Self.frame(name, id: cursor, data)) }
            }
            // The status the client last heard, so the end repeats it only when it changed.
            var lastStatus = SandcastleRunJSON.status(start.detail.run.status)
            var lastWrite = ContinuousClock.now
            var wakeUps = signals.makeAsyncIterator()
            // First what happened after the client's Last-Event-ID (nothing for a new client),
            // then whatever each wake-up brings, until the run ends or pauses, or the server
            // shuts down (the signals end; a client reconnects with its Last-Event-ID).
            let ended = try await withGracefulShutdownHandler {
                repeat {
                    let records = (try? orchestrator.runs.events(runID: runID, afterSeq: cursor, limit: 500)) ?? []
                    for record in records {
                        cursor = record.seq
                        for (name, data) in Self.frames(for: record, orchestrator: orchestrator) {
                            try await writer.write(Self.frame(name, id: record.seq, data))
                            if name == "status", case .string(let status)? = data.child("status") { lastStatus = status }
                            lastWrite = .now
                        }
                    }
                    if records.count == 500 { continue }
                    if let report = try? orchestrator.run(id: runID), Self.ends(report.detail.run.status) {
                        if SandcastleRunJSON.status(report.detail.run.status) != lastStatus {
                            try await writer.write(Self.frame("status", id: cursor, Self.statusData(report)))
                        }
                        try await writer.write(Self.frame("result", id: cursor, Self.resultData(report)))
                        return true
                    }
                    if ContinuousClock.now - lastWrite >= keepAlive {
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        lastWrite = .now
                    }
                } while await wakeUps.next() != nil
                return false
            } onGracefulShutdown: {
                stop()
            }
            _ = ended
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: Self.headers, body: body)
    }

    /// A `step` frame for every step that has started (or been skipped), in the order they started.
    static func stepSnapshot(_ report: RunService.RunReport) -> [(String, JSONValue)] {
        let detail = SandcastleRunJSON.detail(report, submission: nil)
        guard case .array(let steps)? = detail.child("steps") else { return [] }
        return steps.compactMap { step in
            guard case .object(var data) = step, data["status"] != "pending" else { return nil }
            data["run_id"] = .string(report.detail.run.id)
            for key in ["output", "started_at", "model"] { data.removeValue(forKey: key) }
            return ("step", .object(data))
        }
    }

    /// A run's stream ends when it ends, or pauses at a gate.
    static func ends(_ status: RunStatus) -> Bool { status.isTerminal || status == .waitingApproval }

    static func frame(_ event: String, id: Int64, _ data: JSONValue) -> ByteBuffer {
        ByteBuffer(string: "id: \(id)\nevent: \(event)\ndata: \(data.jsonText)\n\n")
    }

    static func statusData(_ report: RunService.RunReport) -> JSONValue {
        let run = report.detail.run
        let detail = SandcastleRunJSON.detail(report, submission: nil, withSteps: false)
        return ["run_id": .string(run.id), "status": .string(SandcastleRunJSON.status(run.status)), "total_cost_usd": detail.child("total_cost_usd") ?? 0]
    }

    static func resultData(_ report: RunService.RunReport) -> JSONValue {
        let detail = SandcastleRunJSON.detail(report, submission: nil, withSteps: false)
        return [
            "run_id": detail.child("run_id") ?? .null, "status": detail.child("status") ?? .null, "outputs": detail.child("outputs") ?? [:],
            "total_cost_usd": detail.child("total_cost_usd") ?? 0, "error": detail.child("error") ?? .null,
        ]
    }

    /// The frames one recorded event becomes (most become one, some none).
    static func frames(for record: EventRecord, orchestrator: Orchestrator) -> [(String, JSONValue)] {
        let runID = JSONValue.string(record.runID)
        switch RunEvent(kind: record.kind, payloadJSON: record.payloadJSON) {
        case .runStarted, .runResumed:
            return [("status", ["run_id": runID, "status": "running", "total_cost_usd": cost(orchestrator, record.runID)])]
        case .runPaused:
            return [("status", ["run_id": runID, "status": "awaiting_approval", "total_cost_usd": cost(orchestrator, record.runID)])]
        case .runFinished(let finished):
            return [
                ("status", ["run_id": runID, "status": .string(SandcastleRunJSON.status(finished.status)), "total_cost_usd": cost(orchestrator, record.runID)])
            ]
        case .stepStarted(let started):
            return [
                (
                    "step",
                    [
                        "run_id": runID, "step_id": .string(started.step), "parallel_index": started.index.map { .integer($0) } ?? .null,
                        "status": "running", "attempt": .integer(started.attempt), "cost_usd": 0, "duration_seconds": 0,
                    ]
                )
            ]
        case .stepFinished(let finished):
            var data: [String: JSONValue] = [
                "run_id": runID, "step_id": .string(finished.step), "parallel_index": .null,
                "status": .string(SandcastleRunJSON.stepStatus(finished.status)), "duration_seconds": .number(Double(finished.durationMs) / 1000),
                "cost_usd": stepCost(orchestrator, record.runID, finished.step), "error": finished.error.map(JSONValue.string) ?? .null,
            ]
            if let output = finished.output { data["output"] = output }
            return [("step", .object(data))]
        case .stepSkipped(let skipped):
            return [
                (
                    "step",
                    [
                        "run_id": runID, "step_id": .string(skipped.step), "parallel_index": .null, "status": "skipped", "cost_usd": 0,
                        "duration_seconds": 0, "reason": .string(skipped.reason),
                    ]
                )
            ]
        case .approvalRequested(let approval):
            return [
                (
                    "step",
                    [
                        "run_id": runID, "step_id": .string(approval.step), "parallel_index": .null, "status": "awaiting_approval", "cost_usd": 0,
                        "duration_seconds": 0, "message": .string(approval.message),
                    ]
                )
            ]
        default:
            guard passedThrough.contains(record.kind) else { return [] }
            var data: [String: JSONValue] = ["run_id": runID]
            if case .object(let members)? = JSONValue.parse(json: record.payloadJSON) { data.merge(members) { ours, _ in ours } }
            return [(record.kind, .object(data))]
        }
    }

    static func cost(_ orchestrator: Orchestrator, _ runID: String) -> JSONValue {
        let usage = orchestrator.runs.usage(runIDs: [runID])[runID]
        return SandcastleRunJSON.cost(usage)
    }

    static func stepCost(_ orchestrator: Orchestrator, _ runID: String, _ step: String) -> JSONValue {
        guard let calls = try? orchestrator.runs.repository.modelCalls(runID: runID).filter({ $0.stepID == step }), !calls.isEmpty else {
            return 0
        }
        let priced = calls.compactMap(\.costUSD)
        return priced.isEmpty ? .null : .number(priced.reduce(0, +))
    }
}
