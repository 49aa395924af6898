import Foundation
import HTTPTypes
import Hummingbird
import JSONValues
import NIOCore
import ServerCore
import ServiceLifecycle
import Store

/// `/ui/stream`: one server-sent event stream per page, pushing **HTML fragments rendered from
/// the same templates** as the page (`event: replace`, `{"target": id, "html": …}`), so the
/// browser's script only swaps elements by id. `?run=<id>` follows one run (its header, step
/// rows, DAG and timeline); `?scope=runs` follows the runs list (changed rows, new runs).
///
/// Woken by the orchestrator's run signals, never by polling the store on a timer; wake-ups
/// are coalesced (``LiveSource/coalesce``) so a chatty run costs one render per interval, not one per event.
/// `id:` is the store's event position: a page renders `data-after` with the position it was
/// drawn at, and a reconnecting browser sends `Last-Event-ID`, so nothing that happened in
/// between is missed — the stream sends the current state of whatever changed after it.
struct LiveController: Sendable {
    let dashboard: Dashboard
    static let keepAlive: Duration = .seconds(15)
    /// Open streams at most (each holds a connection and a subscription).
    static let maxStreams = 200

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("stream") { request, context -> Response in
            guard let visit = dashboard.visit(request), visit.newToken == nil || dashboard.openMode else {
                return Response(
                    status: .unauthorized, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "sign in first\n")))
            }
            guard dashboard.orchestrator.signals.count < Self.maxStreams else {
                return Response(status: .serviceUnavailable, headers: [.retryAfter: "5"], body: .init(byteBuffer: ByteBuffer(string: "too many live pages\n")))
            }
            let query = request.uri.queryParameters
            let after =
                Self.lastEventIDHeader.flatMap { request.headers[$0] }.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
                ?? query.get("after").flatMap { Int64($0) }
            let source: any LiveSource
            if let runID = query.get("run") {
                guard dashboard.orchestrator.isVisible(runID: runID, to: visit.tenant) else {
                    return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "no run \(runID)\n")))
                }
                source = RunLiveSource(dashboard: dashboard, visit: visit, runID: runID, step: query.get("step"))
            } else {
                source = RunsLiveSource(
                    dashboard: dashboard, visit: visit, status: query.get("status").map { RunStatus(rawValue: $0) },
                    workflow: query.get("workflow").flatMap { $0.isEmpty ? nil : $0 })
            }
            return Self.stream(source, after: after, dashboard: dashboard)
        }
    }

    static let lastEventIDHeader = HTTPField.Name("Last-Event-ID")

    static let headers: HTTPFields = {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }
        return headers
    }()

    static func stream(_ source: any LiveSource, after: Int64?, dashboard: Dashboard) -> Response {
        let orchestrator = dashboard.orchestrator
        let repository = orchestrator.runs.repository
        let body = ResponseBody { writer in
            let (signals, stop) = orchestrator.signals.subscribe(runID: source.runID)
            defer { stop() }
            // Keep-alives ride on the same wake-ups: a quiet stream is woken to write one.
            let ticks = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepAlive)
                    orchestrator.signals.notify(runID: source.runID ?? "")
                }
            }
            defer { ticks.cancel() }
            var cursor = after ?? ((try? repository.latestEventID()) ?? 0)
            var outputVersion = source.outputVersion()
            var lastWrite = ContinuousClock.now
            try await writer.write(ByteBuffer(string: "retry: 2000\n: connected\n\n"))
            // A page drawn before something happened gets it at once.
            var pending = after != nil
            var iterator = signals.makeAsyncIterator()
            // A server shutting down ends its streams (the signals end), rather than waiting for
            // every open page to go away; the browser reconnects to the next server by itself.
            try await withGracefulShutdownHandler {
                while true {
                    if !pending {
                        guard await iterator.next() != nil else { break }
                        try? await Task.sleep(for: source.coalesce)
                    }
                    pending = false
                    let (latest, version, text) = LiveStreamCost.measure { () -> (Int64, Int, String) in
                        let latest = (try? repository.latestEventID()) ?? cursor
                        let version = source.outputVersion()
                        guard latest > cursor || version != outputVersion else { return (latest, version, "") }
                        var text = ""
                        for fragment in source.fragments(changedAfter: cursor) {
                            text += "id: \(latest)\nevent: replace\ndata: \(fragment.jsonText)\n\n"
                        }
                        return (latest, version, text)
                    }
                    if latest > cursor || version != outputVersion {
                        (cursor, outputVersion) = (max(cursor, latest), version)
                        if !text.isEmpty {
                            try await writer.write(ByteBuffer(string: text))
                            lastWrite = .now
                        }
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
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// What a live page follows: the fragments to send when the store moved past `cursor`.
protocol LiveSource: Sendable {
    /// The run whose signals wake the stream; nil: every run's.
    var runID: String? { get }
    /// How long a wake-up waits for more before the stream works out its update: a run's page
    /// follows closely; a list of many runs, woken by all of them, gathers a second's worth.
    var coalesce: Duration { get }
    func fragments(changedAfter cursor: Int64) -> [JSONValue]
    /// Changes when output the store does not hold (a running step's) moves on.
    func outputVersion() -> Int
}

extension LiveSource {
    func outputVersion() -> Int { 0 }

    static func replace(_ target: String, _ html: String) -> JSONValue {
        .object(["target": .string(target), "html": .string(html)])
    }
}
