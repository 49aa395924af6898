import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Webhooks

/// DNS rebinding: a name that answers one address when checked and another afterwards must not
/// move the delivery. The receivers share a port on two loopback addresses: the checked one on
/// 127.0.0.2, a decoy on 127.0.0.1, which is what `localhost` really resolves to here. The
/// check's single lookup is scripted to answer 127.0.0.2 (a rebinding DNS server's first,
/// harmless answer); any lookup after it, by us or by libcurl through the system resolver,
/// would give 127.0.0.1 and reach the decoy. So a request at the decoy means a second lookup
/// happened, and one at 127.0.0.2 under the name `localhost` means the connection was pinned.
@Suite struct PinningTests {
    static let development = WebhookPolicy(allowPrivateNetworks: true)

    static func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

    static func payload() -> WebhookPayload {
        WebhookPayload(event: .workflowCompleted, runID: "run-pin", workflow: "w", status: "completed")
    }

    @Test func theConnectionGoesToTheCheckedAddressNotWhereTheNameNowPoints() async throws {
        try await Receiver.with(host: "127.0.0.1") { decoy in
            try await Receiver.with(host: "127.0.0.2", port: decoy.port, replies: [.status(500), .status(502)]) { checked in
                let resolver = ScriptedResolver(answers: [[try Self.address("127.0.0.2")], [try Self.address("127.0.0.1")]])
                let callback = try await CallbackURL.check("http://localhost:\(decoy.port)/hook", policy: Self.development, resolver: resolver)
                #expect(callback.addresses == [try Self.address("127.0.0.2")])

                let sender = WebhookSender(secret: WebhookSecret("s"), policy: Self.development, sleep: SleepRecorder().sleep)
                let record = await sender.deliver(Self.payload(), to: callback)
                #expect(record.outcome == .delivered, "\(record)")
                // Three attempts (500, 502, 200), every one to the checked address, none resolved again.
                #expect(record.attempts.map(\.address) == ["127.0.0.2", "127.0.0.2", "127.0.0.2"])
                #expect(checked.requests.count == 3)
                #expect(checked.requests.allSatisfy { $0.authority == "localhost:\(decoy.port)" }, "\(checked.requests.map(\.authority))")
                #expect(decoy.requests.isEmpty, "a second lookup sent \(decoy.requests.count) request(s) to the decoy")
                #expect(resolver.calls == 1)
            }
        }
    }

    @Test func aDeliveryByURLResolvesOnceForAllItsAttempts() async throws {
        try await Receiver.with(host: "127.0.0.1") { decoy in
            try await Receiver.with(host: "127.0.0.2", port: decoy.port, replies: [.status(503)]) { checked in
                let resolver = ScriptedResolver(answers: [[try Self.address("127.0.0.2")], [try Self.address("127.0.0.1")]])
                let sender = WebhookSender(secret: nil, policy: Self.development, resolver: resolver, sleep: SleepRecorder().sleep)
                let record = await sender.deliver(Self.payload(), to: "http://localhost:\(decoy.port)/hook")
                #expect(record.outcome == .delivered)
                #expect(record.addresses == ["127.0.0.2"])
                #expect(record.attempts.count == 2)
                #expect(checked.requests.count == 2)
                #expect(decoy.requests.isEmpty)
                #expect(resolver.calls == 1)
            }
        }
    }

    @Test func aNameRevalidatedAtDeliveryThatNowPointsInsideIsRefused() async throws {
        // Accepted at submission with a public answer; by delivery the name points at 10.0.0.5.
        let resolver = ScriptedResolver(answers: [[try Self.address("93.184.215.14")], [try Self.address("10.0.0.5")]])
        _ = try await CallbackURL.check("https://rebind.example/hook", resolver: resolver)
        let sender = WebhookSender(secret: nil, resolver: resolver, sleep: SleepRecorder().sleep)
        let record = await sender.deliver(Self.payload(), to: "https://rebind.example/hook")
        #expect(record.outcome == .refused)
        #expect(record.reason == "callback_url host 'rebind.example' resolves to 10.0.0.5, a private address")
        #expect(record.attempts.isEmpty)
        #expect(resolver.calls == 2)
    }

    @Test func anAddressThatRefusesTheConnectionFallsThroughToTheNextCheckedOne() async throws {
        try await Receiver.with(host: "127.0.0.2") { receiver in
            // Nothing listens on 127.0.0.3 at that port: the attempt moves on to 127.0.0.2.
            let resolver = ScriptedResolver(answers: [[try Self.address("127.0.0.3"), try Self.address("127.0.0.2")]])
            let sender = WebhookSender(secret: nil, policy: Self.development, resolver: resolver, sleep: SleepRecorder().sleep)
            let record = await sender.deliver(Self.payload(), to: "http://multi.invalid:\(receiver.port)/hook")
            #expect(record.outcome == .delivered, "\(record)")
            #expect(record.attempts.count == 1)
            #expect(record.attempts.first?.address == "127.0.0.2")
            #expect(receiver.requests.first?.authority == "multi.invalid:\(receiver.port)")
        }
    }
}

/// The system resolver's own bounds, with a lookup that blocks until the test lets it go.
@Suite struct SystemResolverTests {
    @Test func aLookupThatTakesTooLongIsAbandoned() async throws {
        let gate = BlockingGate()
        defer { gate.open() }
        let resolver = SystemResolver(timeout: .milliseconds(100)) { _ in
            gate.wait()
            return []
        }
        let error = await #expect(throws: WebhookError.self) { _ = try await resolver.addresses(of: "slow.example") }
        #expect(error?.code == .invalidCallbackURL)
        #expect(error?.message.hasPrefix("callback_url host 'slow.example' took longer than") == true, "\(error?.message ?? "")")
    }

    @Test func cancellingALookupEndsItAtOnce() async throws {
        let gate = BlockingGate()
        defer { gate.open() }
        let started = BlockingGate()
        let resolver = SystemResolver(timeout: .seconds(3600)) { _ in
            started.open()
            gate.wait()
            return []
        }
        let lookup = Task { try await resolver.addresses(of: "stuck.example") }
        await started.waitOffThePool()
        lookup.cancel()
        await #expect(throws: CancellationError.self) { _ = try await lookup.value }
    }

    @Test func theRealResolverReadsEverySpellingAndDropsDuplicates() async throws {
        let resolver = SystemResolver()
        #expect(try await resolver.addresses(of: "0x7f.1") == [try #require(IPAddress("127.0.0.1"))])
        #expect(try await resolver.addresses(of: "localhost").contains(try #require(IPAddress("127.0.0.1"))))
        #expect(try await resolver.addresses(of: "fe80::1%lo") == [try #require(IPAddress("fe80::1"))])
    }
}

/// A gate for threads (not tasks): `wait` blocks the calling thread until `open`.
final class BlockingGate: Sendable {
    private let condition = NSCondition()
    private let isOpen = Mutex(false)

    func wait() {
        condition.lock()
        while !isOpen.withLock({ $0 }) { condition.wait() }
        condition.unlock()
    }

    func waitOffThePool() async {
        _ = try? await offThePool { self.wait() }
    }

    func open() {
        condition.lock()
        isOpen.withLock { $0 = true }
        condition.broadcast()
        condition.unlock()
    }
}
