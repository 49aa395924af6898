import Foundation
import HTTPTransport
import Synchronization
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// The token buckets themselves, on a clock moved by hand.
@Suite struct RateLimiterTests {
    final class Clock: Sendable {
        private let seconds = Mutex(0.0)
        var now: Double { seconds.withLock { $0 } }
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
    }

    @Test func aCallerSpendsTheLimitThenWaitsForTheWindowToGiveOneBack() {
        let clock = Clock()
        let limiter = RateLimiter(.sandcastleDefault, now: { clock.now })
        for expected in stride(from: 9, through: 0, by: -1) {
            let decision = limiter.take("ip:a")
            #expect(decision.allowed && decision.remaining == expected && decision.limit == 10)
        }
        let refused = limiter.take("ip:a")
        #expect(!refused.allowed && refused.remaining == 0 && refused.retryAfterSeconds == 6)
        // Another caller has its own allowance.
        #expect(limiter.take("ip:b").allowed)
        clock.advance(5.9)
        #expect(!limiter.take("ip:a").allowed)
        clock.advance(0.2)
        #expect(limiter.take("ip:a").allowed)
        // A caller idle for a whole window is back at the full limit, never above it.
        clock.advance(3600)
        #expect(limiter.take("ip:a").remaining == 9)
    }

    @Test func memoryIsBoundedAndRefilledCallersGoFirst() {
        let clock = Clock()
        let limiter = RateLimiter(RateLimit(limit: 2, windowSeconds: 60), maxCallers: 100, now: { clock.now })
        for caller in 0..<100 { _ = limiter.take("ip:\(caller)") }
        #expect(limiter.trackedCallers == 100)
        _ = limiter.take("ip:busy")
        _ = limiter.take("ip:busy")
        clock.advance(60)
        // Everyone else has refilled: one new caller sweeps them all out, the busy one stays.
        _ = limiter.take("ip:new")
        #expect(limiter.trackedCallers <= 100)
        for caller in 0..<1000 { _ = limiter.take("ip:flood-\(caller)") }
        #expect(limiter.trackedCallers <= 100, "a flood of addresses never grows the table past its bound")
    }

    @Test func settingsParse() throws {
        #expect(RateLimit.parse("10/60s") == RateLimit(limit: 10, windowSeconds: 60))
        #expect(RateLimit.parse("100") == RateLimit(limit: 100, windowSeconds: 60))
        #expect(RateLimit.parse("5/1m") == RateLimit(limit: 5, windowSeconds: 60))
        #expect(RateLimit.parse("1000/1h") == RateLimit(limit: 1000, windowSeconds: 3600))
        #expect(RateLimit.parse("3/90") == RateLimit(limit: 3, windowSeconds: 90))
        #expect(RateLimit.parse("0")?.isOff == true)
        for bad in ["", "x", "-1", "10/", "10/0s", "10/-5", "10/2d", "10/60s/1", "10/nan"] { #expect(RateLimit.parse(bad) == nil, "\(bad)") }
        #expect(ServerConfiguration().rateLimitRuns == .sandcastleDefault)
        let configured = try ServerConfiguration.load(
            configFile: nil, environment: ["SANDCASTLE_OPEN": "1", "SANDCASTLE_RATE_LIMIT_RUNS": "0"], flags: .init())
        #expect(configured.rateLimitRuns.isOff)
        var flags = ServerConfiguration.Overrides()
        flags.rateLimitRuns = "ten"
        #expect(throws: ServerError.self) { try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_OPEN": "1"], flags: flags) }
    }

    @Test func onlyTheFourRunStartingEndpointsAreLimited() {
        for path in ["/api/workflows/run", "/api/workflows/run/", "/api/workflows/run/sync", "/api/runs/abc/replay", "/api/runs/abc/fork"] {
            #expect(SandcastleRateLimitMiddleware.isLimited(method: .post, path: path), "\(path)")
        }
        for path in ["/api/workflows", "/api/runs/abc/cancel", "/v1/workflows/run", "/api/runs/a/b/replay", "/api/schedules/x/trigger"] {
            #expect(!SandcastleRateLimitMiddleware.isLimited(method: .post, path: path), "\(path)")
        }
        for path in ["/api/workflows/run", "/api/runs"] { #expect(!SandcastleRateLimitMiddleware.isLimited(method: .get, path: path), "GET \(path)") }
    }
}

/// The limit over HTTP, on a live server with the real orchestrator (runs on Docker).
@Suite(.timeLimit(.minutes(5))) struct RateLimitHTTPTests {
    static let echo = """
        name: echo
        steps:
          - id: a
            run: echo hi
        """

    static func post(_ live: LiveServer, _ path: String, _ json: String, key: String? = nil) async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let key { headers.add("X-API-Key", key) }
        return try await live.client.send(HTTPRequest(method: .post, path: path, headers: headers, body: .bytes(Array(json.utf8)), timeout: .seconds(60)))
    }

    @Test func overTheLimitIsAnswered429InSandcastlesShapeWithItsHeaders() async throws {
        try await SandcastleAPIFixture.with(
            workflows: ["echo": Self.echo], now: Date(), configure: { $0.rateLimitRuns = RateLimit(limit: 3, windowSeconds: 60) }
        ) {
            fixture in
            let live = fixture.live
            // A real run: a success carries the headers too.
            let accepted = try await Self.post(live, "/api/workflows/run", #"{"workflow_name": "echo"}"#)
            #expect(accepted.status == 202, "\(accepted.bodyText)")
            #expect(accepted.headers["x-ratelimit-limit"] == "3" && accepted.headers["x-ratelimit-remaining"] == "2")
            let runID = try #require(
                (try JSONSerialization.jsonObject(with: Data(accepted.body)) as? [String: Any]).flatMap { ($0["data"] as? [String: Any])?["run_id"] as? String }
            )
            // A refused request counts as well (the peer counts every request).
            let unknown = try await Self.post(live, "/api/workflows/run", #"{"workflow_name": "nope"}"#)
            #expect(unknown.status == 404 && unknown.headers["x-ratelimit-remaining"] == nil)
            // Replay and fork share the caller's allowance.
            let replay = try await Self.post(live, "/api/runs/\(runID)/replay", #"{"from_step": "zzz"}"#)
            #expect(replay.status != 429, "\(replay.bodyText)")
            for path in ["/api/workflows/run/sync", "/api/runs/\(runID)/fork", "/api/workflows/run"] {
                let refused = try await Self.post(live, path, #"{"workflow_name": "echo"}"#)
                #expect(refused.status == 429, "\(path): \(refused.bodyText)")
                let body = try JSONSerialization.jsonObject(with: Data(refused.body)) as? [String: Any]
                #expect(body?["detail"] as? String == "Rate limit exceeded: 3 requests per 60s. Try again later.")
                // The next token comes 20 s after the last one was spent: at most 20, less as the test's time passes
                // (seconds on a loaded machine), never 0.
                let retryAfter = Int(refused.headers["retry-after"] ?? "") ?? 0
                #expect((1...20).contains(retryAfter), "Retry-After \(refused.headers["retry-after"] ?? "none")")
                #expect(refused.headers["x-ratelimit-limit"] == "3" && refused.headers["x-ratelimit-remaining"] == "0")
                SecurityHeaderTests.check(refused.headers, "429")
            }
            // Other endpoints are not limited.
            let list = try await live.client.send(HTTPRequest(method: .get, path: "/api/runs", timeout: .seconds(30)))
            #expect(list.status == 200 && list.headers["x-ratelimit-limit"] == nil)
            // Another client address is another caller (open mode: no key to count by).
            let other = try await RawConnection.open(port: live.port, from: "127.0.0.2")
            try await other.send(
                "POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n{\"workflow_name\": \"nope\"}")
            let answer = try await other.response()
            // 127.0.0.1 is spent: the request going through (to the handler's 404) proves its own allowance.
            #expect(answer.status == 404, "\(answer.body)")
            _ = await fixture.orchestrator.queue.waitForTurnEnd(runID: runID)
        }
    }

    @Test func eachKeyHasItsOwnAllowanceAndZeroTurnsItOff() async throws {
        try await SandcastleAPIFixture.with(
            workflows: [:], now: Date(),
            configure: {
                $0.openMode = false
                $0.apiKeyDigests = [APIKeyStore.digest(ServerFixture.key), APIKeyStore.digest(ServerFixture.otherKey)]
                $0.rateLimitRuns = RateLimit(limit: 2, windowSeconds: 60)
            }
        ) { fixture in
            var statuses: [Int] = []
            for key in [ServerFixture.key, ServerFixture.key, ServerFixture.key, ServerFixture.otherKey, nil] {
                statuses.append(try await Self.post(fixture.live, "/api/workflows/run", "{}", key: key).status)
            }
            // Without a key the request is refused (401) before it counts against anyone.
            #expect(statuses == [400, 400, 429, 400, 401])
        }
        try await SandcastleAPIFixture.with(workflows: [:], now: Date(), configure: { $0.rateLimitRuns = .off }) { fixture in
            for _ in 0..<15 {
                let response = try await Self.post(fixture.live, "/api/workflows/run", "{}")
                #expect(response.status == 400 && response.headers["x-ratelimit-limit"] == nil)
            }
        }
    }
}
