import Foundation
import JSONValues
import Resilience
import Synchronization
import TestSupport
import Testing

@testable import Webhooks

/// Deliveries over real HTTP to receivers on loopback (hence the development policy).
@Suite struct DeliveryTests {
    static let development = WebhookPolicy(allowPrivateNetworks: true)
    static let secret = WebhookSecret("whsec-delivery-tests")

    static func payload(_ outputs: JSONValue? = ["answer": 42]) -> WebhookPayload {
        WebhookPayload(
            event: .workflowCompleted, runID: "run-42", workflow: "leads", status: "completed", outputs: outputs, totalCostUSD: 0.25,
            durationSeconds: 1.5)
    }

    static func sender(_ sleeper: SleepRecorder, attemptTimeout: Duration = .seconds(30), secret: WebhookSecret? = secret) -> WebhookSender {
        WebhookSender(
            secret: secret, policy: development, configuration: .init(attemptTimeout: attemptTimeout), sleep: sleeper.sleep)
    }

    @Test func theReceiverVerifiesTheSignatureOverTheRawBody() async throws {
        try await Receiver.with { receiver in
            let record = await Self.sender(SleepRecorder()).deliver(Self.payload(), to: receiver.url("/signed?token=abc"))
            #expect(record.outcome == .delivered, "\(record)")
            #expect(record.attempts.count == 1)
            #expect(record.attempts.first?.statusCode == 200)
            #expect(record.attempts.first?.responseExcerpt == "thanks")
            #expect(record.signed)

            let request = try #require(receiver.requests.first)
            #expect(request.method == "POST")
            #expect(request.path == "/signed?token=abc")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["user-agent"] == "Sandcastle-Webhook/1.0")
            #expect(request.headers["x-sandcastle-event"] == "workflow.completed")
            let signature = try #require(request.headers["x-sandcastle-signature"])
            #expect(WebhookSigner.verify(body: request.body, signature: signature, secret: Self.secret))
            #expect(!WebhookSigner.verify(body: request.body, signature: signature, secret: WebhookSecret("wrong")))
            #expect(record.bodyBytes == request.body.count)

            let body = try #require(JSONValue.parse(json: String(decoding: request.body, as: UTF8.self)))
            #expect(body.child("event") == "workflow.completed")
            #expect(body.child("run_id") == "run-42")
            #expect(body.child("outputs")?.child("answer") == 42)
            #expect(body.child("total_cost_usd") == .number(0.25))
            #expect(body.child("costs") == .number(0.25))
        }
    }

    @Test func withoutASecretNoSignatureIsSent() async throws {
        try await Receiver.with { receiver in
            let record = await Self.sender(SleepRecorder(), secret: nil).deliver(Self.payload(), to: receiver.url())
            #expect(record.outcome == .delivered)
            #expect(!record.signed)
            #expect(receiver.requests.first?.headers["x-sandcastle-signature"] == nil)
            #expect(receiver.requests.first?.headers["x-sandcastle-event"] == "workflow.completed")
        }
    }

    @Test func twoServerErrorsThenSuccessIsDeliveredOnTheThirdAttempt() async throws {
        try await Receiver.with(replies: [.status(500, body: "boom"), .status(503)]) { receiver in
            let sleeper = SleepRecorder()
            let record = await Self.sender(sleeper).deliver(Self.payload(), to: receiver.url())
            #expect(record.outcome == .delivered, "\(record)")
            #expect(record.reason == nil)
            #expect(record.attempts.map(\.statusCode) == [500, 503, 200])
            #expect(record.attempts.map(\.number) == [1, 2, 3])
            #expect(record.attempts.first?.responseExcerpt == "boom")
            #expect(receiver.requests.count == 3)
            // The same bytes each time, so one signature fits all.
            #expect(Set(receiver.requests.map(\.body)).count == 1)
            #expect(Set(receiver.requests.compactMap { $0.headers["x-sandcastle-signature"] }).count == 1)
            // min(2ⁿ, 30) s less up to a quarter: 1.5–2 s, then 3–4 s.
            let delays = sleeper.recorded
            #expect(delays.count == 2)
            #expect(delays.count == 2 && delays[0] >= .milliseconds(1500) && delays[0] <= .seconds(2), "\(delays)")
            #expect(delays.count == 2 && delays[1] >= .seconds(3) && delays[1] <= .seconds(4), "\(delays)")
        }
    }

    @Test func threeServerErrorsFail() async throws {
        try await Receiver.with(replies: [.status(500), .status(502), .status(504)]) { receiver in
            let record = await Self.sender(SleepRecorder()).deliver(Self.payload(), to: receiver.url())
            #expect(record.outcome == .failed)
            #expect(record.attempts.map(\.statusCode) == [500, 502, 504])
            #expect(record.reason == "the receiver answered 504; gave up after 3 attempts")
            #expect(record.lastStatusCode == 504)
        }
    }

    @Test(arguments: [400, 401, 404, 410, 422, 429])
    func aClientErrorIsNeverRetried(_ status: Int) async throws {
        try await Receiver.with(replies: [.status(status, body: "no such hook")]) { receiver in
            let sleeper = SleepRecorder()
            let record = await Self.sender(sleeper).deliver(Self.payload(), to: receiver.url())
            #expect(record.outcome == .failed)
            #expect(record.attempts.count == 1)
            #expect(record.attempts.first?.statusCode == status)
            #expect(record.attempts.first?.responseExcerpt == "no such hook")
            #expect(record.reason == "the receiver answered \(status); client errors are not retried")
            #expect(receiver.requests.count == 1)
            #expect(sleeper.recorded.isEmpty)
        }
    }

    @Test(arguments: [301, 302, 303, 307, 308])
    func aRedirectIsNeitherFollowedNorRetried(_ status: Int) async throws {
        try await Receiver.with { receiver in
            let redirecting = try await Receiver.with(replies: [.status(status, location: receiver.url("/target"))]) { first in
                await Self.sender(SleepRecorder()).deliver(Self.payload(), to: first.url("/moved"))
            }
            #expect(redirecting.outcome == .failed)
            #expect(redirecting.attempts.count == 1)
            #expect(redirecting.attempts.first?.statusCode == status)
            #expect(redirecting.reason?.contains("a redirect, which webhooks never follow") == true)
            #expect(receiver.requests.isEmpty, "the Location was never visited")
        }
    }

    @Test func aRefusedConnectionIsRetriedThenFails() async throws {
        let port = try freePort()
        let sleeper = SleepRecorder()
        let record = await Self.sender(sleeper).deliver(Self.payload(), to: "http://127.0.0.1:\(port)/hook?token=s3cr3t-value")
        #expect(record.outcome == .failed)
        #expect(record.attempts.count == 3)
        #expect(record.attempts.allSatisfy { $0.errorCode == "connect_failed" && $0.statusCode == nil && $0.address == "127.0.0.1" })
        #expect(sleeper.recorded.count == 2)
        #expect(record.reason?.hasSuffix("gave up after 3 attempts") == true)
        // The query is masked wherever the URL appears in the record.
        #expect(record.url == "http://127.0.0.1:\(port)/hook?token=***")
        let encoded = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(!encoded.contains("s3cr3t-value"), "\(encoded)")
    }

    @Test func aSlowReceiverTimesOutEachAttemptAndIsRetried() async throws {
        try await Receiver.with(replies: [.hang, .hang]) { receiver in
            let sleeper = SleepRecorder()
            let sender = WebhookSender(
                // Two seconds, not less: on two loaded cores the receiver may need most of a
                // second to take a request in, and each attempt must reach it before timing out.
                secret: Self.secret, policy: Self.development, configuration: .init(maxAttempts: 2, attemptTimeout: .seconds(2)),
                sleep: sleeper.sleep)
            let started = ContinuousClock.now
            let record = await sender.deliver(Self.payload(), to: receiver.url("/slow?key=hidden-value"))
            let took = ContinuousClock.now - started
            #expect(record.outcome == .failed)
            #expect(record.attempts.count == 2)
            #expect(record.attempts.allSatisfy { $0.errorCode == "timeout" && $0.statusCode == nil }, "\(record.attempts)")
            #expect(record.attempts.allSatisfy { $0.durationMilliseconds >= 1990 }, "\(record.attempts)")
            let bothArrived = await eventually(.seconds(10)) { receiver.requests.count == 2 }
            #expect(bothArrived, "the receiver saw \(receiver.requests.count) of the 2 attempts")
            #expect(sleeper.recorded.count == 1)
            // Bounded by the timeouts, not by the receiver that never answers (generous: 2 cores, parallel tests).
            #expect(took < .seconds(20), "\(took)")
            #expect(record.attempts.allSatisfy { !($0.error ?? "").contains("hidden-value") }, "\(record.attempts)")
            #expect(record.attempts.first?.error?.contains("/slow?key=***") == true, "\(record.attempts)")
        }
    }

    @Test func twoMebibytesOfOutputsArriveTruncatedUnderOneMebibyteAndSigned() async throws {
        try await Receiver.with { receiver in
            let big = String(repeating: "o", count: 2 << 20)
            let record = await Self.sender(SleepRecorder()).deliver(Self.payload(["report": .string(big)]), to: receiver.url("/big"))
            #expect(record.outcome == .delivered)
            #expect(record.truncation == .outputs)
            let request = try #require(receiver.requests.first)
            #expect(request.body.count <= 1_048_576)
            #expect(record.bodyBytes == request.body.count)
            let signature = try #require(request.headers["x-sandcastle-signature"])
            #expect(WebhookSigner.verify(body: request.body, signature: signature, secret: Self.secret))
            let body = try #require(JSONValue.parse(json: String(decoding: request.body, as: UTF8.self)))
            #expect(body.child("outputs")?.child("outputs_truncated") == .bool(true))
            #expect(body.child("outputs")?.child("_reason") == "payload_too_large")
        }
    }

    @Test func aHugeAnswerIsReadOnlyToTheExcerpt() async throws {
        let huge = String(repeating: "a", count: 8 << 20)
        try await Receiver.with(replies: [.status(200, body: huge)]) { receiver in
            let record = await Self.sender(SleepRecorder()).deliver(Self.payload(), to: receiver.url())
            #expect(record.outcome == .delivered)
            #expect(record.attempts.first?.responseExcerpt?.utf8.count == 4096)
        }
    }

    @Test func cancellingTheDeliveryStopsTheAttemptInFlight() async throws {
        try await Receiver.with(replies: [.hang]) { receiver in
            let sender = Self.sender(SleepRecorder())
            let delivery = Task { await sender.deliver(Self.payload(), to: receiver.url("/slow")) }
            #expect(await eventually { !receiver.requests.isEmpty }, "the receiver got the request")
            let cancelled = ContinuousClock.now
            delivery.cancel()
            let record = await delivery.value
            #expect(record.outcome == .cancelled, "\(record)")
            #expect(record.attempts.count == 1)
            #expect(record.attempts.first?.errorCode == "cancelled")
            #expect(ContinuousClock.now - cancelled < .seconds(20))
        }
    }

    @Test func cancellingDuringTheWaitStopsBeforeTheNextAttempt() async throws {
        try await Receiver.with(replies: [.status(500)]) { receiver in
            // A wait that lasts until cancelled: the retry never comes.
            let waiting = WaitFlag()
            let sender = WebhookSender(
                secret: nil, policy: Self.development,
                sleep: { _ in
                    waiting.value.store(true, ordering: .releasing)
                    try await Task.sleep(for: .seconds(3600))
                })
            let delivery = Task { await sender.deliver(Self.payload(), to: receiver.url()) }
            // Cancelled once the sender waits (not while its first attempt's answer is still on the way).
            #expect(await eventually { waiting.value.load(ordering: .acquiring) })
            #expect(receiver.requests.count == 1)
            delivery.cancel()
            let record = await delivery.value
            #expect(record.outcome == .cancelled)
            #expect(record.attempts.map(\.statusCode) == [500])
            #expect(record.reason == "cancelled while waiting to retry after attempt 1")
            #expect(receiver.requests.count == 1)
        }
    }

    @Test func aURLRefusedAtDeliveryIsRecordedWithoutAnAttempt() async throws {
        let strict = WebhookSender(secret: Self.secret)
        let local = await strict.deliver(Self.payload(), to: "http://127.0.0.1:9/hook?token=t0ken")
        #expect(local.outcome == .refused)
        #expect(local.attempts.isEmpty)
        #expect(local.reason == "callback_url host '127.0.0.1' resolves to 127.0.0.1, a loopback address")
        #expect(local.url == "http://127.0.0.1:9/hook?token=***")

        let credentials = await strict.deliver(Self.payload(), to: "https://user:pw-secret@example.com/")
        #expect(credentials.outcome == .refused)
        #expect(credentials.url == "(invalid)")
        #expect(!"\(credentials)".contains("pw-secret"))
    }

    @Test func theRecordEncodesAsSnakeCaseJSON() async throws {
        try await Receiver.with(replies: [.status(500)]) { receiver in
            let record = await Self.sender(SleepRecorder()).deliver(Self.payload(), to: receiver.url())
            let json = try #require(JSONValue.parse(json: String(decoding: try JSONEncoder().encode(record), as: UTF8.self)))
            #expect(json.child("outcome") == "delivered")
            #expect(json.child("run_id") == "run-42")
            #expect(json.child("event") == "workflow.completed")
            #expect(json.child("attempts")?.child("0")?.child("status_code") == 500)
            #expect(json.child("attempts")?.child("1")?.child("status_code") == 200)
            #expect(json.child("addresses") == ["127.0.0.1"])
            let decoded = try JSONDecoder().decode(DeliveryRecord.self, from: try JSONEncoder().encode(record))
            #expect(decoded.attempts.count == 2)
            #expect(decoded.outcome == .delivered)
        }
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on: bound, read and released.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ReceiverError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw ReceiverError("bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Set when the sender starts waiting to retry.
final class WaitFlag: Sendable {
    let value = Atomic(false)
}
