import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// `POST /api/workflows/run/sync` for a run that is cancelled while it waits in the queue answers
/// at once with the cancelled run. Found by schemathesis: the emergency stop cancelled a queued
/// run a sync request waited for, which then waited forever, and so did the server's shutdown.
@Suite(.timeLimit(.minutes(5))) struct SyncRunCancelTests {
    static let sleeper = #"{"workflow": "name: long\nsteps:\n  - id: s\n    run: sleep 300\n"}"#

    @Test func aSyncRunCancelledWhileQueuedAnswersAtOnce() async throws {
        try await SandcastleAPIFixture.with(workflows: [:], now: Date(), configure: { $0.rateLimitRuns = .off }) { fixture in
            let live = fixture.live
            // Both slots (the fixture allows two runs at once) taken by long runs.
            var long: [String] = []
            for _ in 0..<2 {
                let submitted = try await live.call(.post, "/api/workflows/run", json: Self.sleeper)
                long.append(try #require((submitted.body["data"] as? [String: Any])?["run_id"] as? String))
            }
            // Its own client: the request runs beside this task's.
            let running = try await eventually(.seconds(120)) {
                var statuses: [String] = []
                for id in long {
                    let run = try await live.call(.get, "/api/runs/\(id)")
                    statuses.append((run.body["data"] as? [String: Any])?["status"] as? String ?? "")
                }
                return statuses == ["running", "running"]
            }
            #expect(running, "the long runs never both ran")
            let client = try HTTPClient(endpoint: .http(host: "127.0.0.1", port: live.port))
            let sync = Task {
                let body = #"{"workflow": "name: quick\nsteps:\n  - id: s\n    run: echo hi\n"}"#
                let answer = try await client.send(
                    HTTPRequest(
                        method: .post, path: "/api/workflows/run/sync", headers: ["Content-Type": "application/json"],
                        body: .bytes(Array(body.utf8)), timeout: .seconds(120)))
                return (status: answer.status, text: answer.bodyText)
            }
            var queued: String?
            let seen = try await eventually(.seconds(60)) {
                let page = try await live.call(.get, "/api/runs?status=queued")
                queued = (page.body["data"] as? [[String: Any]])?.first?["run_id"] as? String
                return queued != nil
            }
            #expect(seen, "the sync run never showed as queued")
            let queuedID = try #require(queued)
            let stop = try await live.call(.post, "/api/admin/emergency-stop")
            #expect(stop.status == 200)
            let answer = try await sync.value
            #expect(answer.status == 200, "\(answer.text)")
            let body = try JSONSerialization.jsonObject(with: Data(answer.text.utf8)) as? [String: Any]
            let data = body?["data"] as? [String: Any]
            #expect(data?["run_id"] as? String == queuedID)
            #expect(data?["status"] as? String == "cancelled")
            for id in long {
                let run = try await live.call(.get, "/api/runs/\(id)")
                #expect((run.body["data"] as? [String: Any])?["status"] as? String == "cancelled")
            }
            _ = try await live.call(.post, "/api/admin/emergency-stop/reset")
        }
    }
}
