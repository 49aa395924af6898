import ArgumentParser
import Benchmarks
import Foundation
import HTTPTransport

/// `query_first_event_ms`: from the provider client handing out the first text delta of an
/// answer to the `POST /query` event carrying it arriving at an HTTP client on loopback.
///
/// A `sandcastle serve` runs in this process (``BenchHTTPServer``), its model the zero-latency
/// provider double behind the real router and Anthropic client, timed at the client
/// (``ModelTimeline``). Each sample is one whole `/query` session with
/// `include_partial_messages` (its fresh sandbox, its one-turn answer, its sandbox removed);
/// only the delta's way out is timed: the loop's event, Sandstorm's message, the SSE frame, the
/// server's write, the client's read (our libcurl client, counted against us).
enum QueryFirstEvent {
    static func measure(models: AgentBenchmarkModels, iterations: Int, warmup: Int) async throws -> [Duration] {
        let router = try models.conversation([.reply("Hello from the model.")], repeats: true)
        var samples: [Duration] = []
        try await BenchHTTPServer.with(pool: [], capacity: 8, modelRouter: router) { server in
            for index in 0..<(warmup + iterations) {
                _ = models.timeline.take()
                let arrived = try await server.firstStreamEvent()
                let calls = models.timeline.take()
                guard calls.count == 1, let delta = calls[0].firstTextDelta else {
                    throw AgentBenchmarkError(.inconsistentTimings, "a /query session made \(calls.count) model calls, or its answer had no text delta")
                }
                guard arrived >= delta else { throw AgentBenchmarkError(.inconsistentTimings, "the event arrived before its delta left the client") }
                if index >= warmup { samples.append(arrived - delta) }
            }
        }
        return samples
    }
}

extension BenchHTTPServer {
    /// Runs one `/query` session to its end and returns when the first `stream_event` (the
    /// answer's first text delta) arrived. Fails unless the session's last event is a success.
    func firstStreamEvent() async throws -> ContinuousClock.Instant {
        let response = try await client.stream(
            HTTPRequest(
                method: .post, path: "/query",
                headers: ["Authorization": authorization, "Content-Type": "application/json"],
                body: .bytes(Array(#"{"prompt": "Say hello.", "include_partial_messages": true}"#.utf8)), timeout: .seconds(120)))
        guard response.status == 200 else {
            let body = try? await response.collect(upTo: 1 << 16)
            throw AgentBenchmarkError(.runFailed, "POST /query answered \(response.status): \(String(decoding: body ?? [], as: UTF8.self))")
        }
        var pending: [UInt8] = []
        var arrived: ContinuousClock.Instant?
        var last: [String: Any] = [:]
        for try await chunk in response.body {
            let now = ContinuousClock.now
            pending.append(contentsOf: chunk)
            while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<end], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                pending.removeSubrange(...end)
                guard line.hasPrefix("data: "),
                    let message = (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) as? [String: Any]
                else { continue }
                if arrived == nil, message["type"] as? String == "stream_event" { arrived = now }
                last = message
            }
        }
        guard last["type"] as? String == "result", last["subtype"] as? String == "success" else {
            throw AgentBenchmarkError(.runFailed, "a /query session did not end in a successful result: \(last)")
        }
        guard let arrived else { throw AgentBenchmarkError(.runFailed, "a /query session streamed no stream_event") }
        return arrived
    }
}
