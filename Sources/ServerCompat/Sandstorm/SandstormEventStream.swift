import Foundation
import Guardrails
import Hummingbird
import JSONValues
import Logging
import NIOCore
import OneShotAgent
import ServerCore

/// One session's messages as a streamed response body: each message is written as soon as the
/// session emits it, a keep-alive comment goes out when the stream is quiet, and the session is
/// cancelled (its sandbox removed) the moment the client leaves or the response is abandoned.
struct SandstormEventStream: Sendable {
    typealias Session = @Sendable (_ emit: @escaping @Sendable (JSONValue) -> Void) async -> OneShotSession.Outcome

    let keepAlive: Duration
    let client: ClientConnection?
    let logger: Logger
    let session: Session

    private enum Item: Sendable {
        case message(JSONValue)
        case ping
        case end(OneShotSession.Outcome)
        case clientGone
    }

    var responseBody: ResponseBody {
        let (keepAlive, client, logger, session) = (self.keepAlive, self.client, self.logger, self.session)
        return ResponseBody { writer in
            let (items, continuation) = AsyncStream<Item>.makeStream()
            let run = Task {
                let outcome = await session { continuation.yield(.message($0)) }
                continuation.yield(.end(outcome))
                continuation.finish()
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: keepAlive)
                    if Task.isCancelled { return }
                    continuation.yield(.ping)
                }
            }
            let watcher = client.map { client in
                Task {
                    await client.waitUntilGone()
                    if !Task.isCancelled { continuation.yield(.clientGone) }
                }
            }
            defer {
                ticker.cancel()
                watcher?.cancel()
            }
            let outcome: OneShotSession.Outcome?
            do {
                outcome = try await withTaskCancellationHandler {
                    for await item in items {
                        switch item {
                        case .message(let message): try await writer.write(Self.frame(message))
                        case .ping: try await writer.write(Self.ping())
                        case .end(let ended): return ended
                        case .clientGone:
                            throw ServerError(.clientClosedRequest, "the client closed the stream; its agent session was cancelled")
                        }
                    }
                    return nil
                } onCancel: {
                    run.cancel()
                }
            } catch {
                // Nobody reads the rest: stop the agent, and let it remove its sandbox before returning.
                run.cancel()
                await run.value
                logger.info("agent session cancelled: \(ServerError.from(error).message)")
                throw error
            }
            guard let outcome else {
                run.cancel()
                await run.value
                logger.info("agent session cancelled: the response was abandoned")
                return
            }
            Self.log(outcome, logger)
            try await writer.finish(nil)
        }
    }

    /// `data: <json>` and a blank line, with sse-starlette's `\r\n` separator.
    static func frame(_ message: JSONValue) -> ByteBuffer {
        // The agent's transcript leaves the server scrubbed of secrets (issue 15 §2).
        ByteBuffer(string: "data: " + ScrubbingSystem.scrubJSON(message.jsonText) + "\r\n\r\n")
    }

    /// sse-starlette's keep-alive: `: ping - 2026-01-01 12:00:00.000000+00:00` (Python's `str()`
    /// of an aware UTC datetime).
    static func ping(at date: Date = Date()) -> ByteBuffer {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let micros = Int((date.timeIntervalSince1970 * 1_000_000).rounded(.down)) % 1_000_000
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let text =
            "\(parts.year ?? 1970)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))."
            + String(format: "%06d", micros)
        return ByteBuffer(string: ": ping - \(text)+00:00\r\n\r\n")
    }

    private static func log(_ outcome: OneShotSession.Outcome, _ logger: Logger) {
        var metadata: Logger.Metadata = ["session": .string(outcome.sessionID)]
        if let result = outcome.result {
            metadata["subtype"] = .string(result.subtype)
            metadata["turns"] = .stringConvertible(result.turns)
            metadata["tool_calls"] = .stringConvertible(result.toolCallCount)
        }
        if let error = outcome.error { metadata["error"] = .string(error) }
        logger.info("agent session finished", metadata: metadata)
    }
}
