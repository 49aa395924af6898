import Foundation
import Synchronization
import TestSupport
import Testing

@testable import ServerCore

/// The bound on file transfers moved at once: a turn over the bound waits, first come first
/// served, then is refused `server_busy` with Retry-After; no path keeps a turn forever.
@Suite("Transfer gate", .timeLimit(.minutes(1)))
struct TransferGateTests {
    @Test func overTheBoundWaitsForATurnInOrder() async throws {
        let gate = TransferGate(limit: 2, maxWait: .seconds(60))
        let first = try await gate.enter()
        let second = try await gate.enter()
        #expect(gate.figures == (active: 2, waiting: 0))
        let order = OrderRecorder()
        let third = Task {
            let slot = try await gate.enter()
            order.append(3)
            return slot
        }
        #expect(await eventually { gate.figures.waiting == 1 })
        let fourth = Task {
            let slot = try await gate.enter()
            order.append(4)
            return slot
        }
        #expect(await eventually { gate.figures.waiting == 2 })
        first.release()
        let thirdSlot = try await third.value
        #expect(order.values == [3], "the oldest waiter gets the freed turn")
        second.release()
        let fourthSlot = try await fourth.value
        #expect(order.values == [3, 4])
        #expect(gate.figures == (active: 2, waiting: 0))
        thirdSlot.release()
        thirdSlot.release() // a second release gives nothing back twice
        fourthSlot.release()
        #expect(gate.figures == (active: 0, waiting: 0))
    }

    @Test func aWaitPastMaxWaitIsServerBusyWithRetryAfter() async throws {
        let gate = TransferGate(limit: 1, maxWait: .milliseconds(50))
        let held = try await gate.enter()
        do {
            _ = try await gate.enter()
            Issue.record("a second turn was given while the only one was held")
        } catch let error as ServerError {
            #expect(error.code == .busy)
            #expect(error.code.status.code == 503)
            #expect(error.retryAfterSeconds == 1)
            #expect(error.message.contains("max_transfers"))
        }
        #expect(gate.figures == (active: 1, waiting: 0), "the refused waiter left the queue")
        // No wait at all: refused at once, never queued.
        let impatient = TransferGate(limit: 1, maxWait: .zero)
        let only = try await impatient.enter()
        for _ in 0..<200 {
            await #expect(throws: ServerError.self) { _ = try await impatient.enter() }
        }
        #expect(impatient.figures == (active: 1, waiting: 0))
        only.release()
        // A wait shorter than it takes to park: the time-out may come before the waiter's
        // continuation exists, and still ends it (each round is a timer task on a busy pool: few).
        let hasty = TransferGate(limit: 1, maxWait: .nanoseconds(1))
        let first = try await hasty.enter()
        for _ in 0..<20 {
            await #expect(throws: ServerError.self) { _ = try await hasty.enter() }
        }
        #expect(hasty.figures == (active: 1, waiting: 0))
        first.release()
        held.release()
        try await gate.run {}
        #expect(gate.figures == (active: 0, waiting: 0))
    }

    @Test func aDroppedSlotOrACancelledWaiterGivesItsTurnBack() async throws {
        let gate = TransferGate(limit: 1, maxWait: .seconds(60))
        var slot: TransferSlot? = try await gate.enter()
        let waiter = Task { try await gate.enter() }
        #expect(await eventually { gate.figures.waiting == 1 })
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(gate.figures == (active: 1, waiting: 0))
        // A response body that was never written drops its slot: the turn comes back.
        withExtendedLifetime(slot) {}
        slot = nil
        #expect(gate.figures == (active: 0, waiting: 0))
        await #expect(throws: CancellationError.self) {
            try await gate.run { throw CancellationError() }
        }
        #expect(gate.figures == (active: 0, waiting: 0), "a body that throws gives its turn back")
    }
}

final class OrderRecorder: Sendable {
    private let state = Mutex<[Int]>([])
    func append(_ value: Int) { state.withLock { $0.append(value) } }
    var values: [Int] { state.withLock { $0 } }
}
