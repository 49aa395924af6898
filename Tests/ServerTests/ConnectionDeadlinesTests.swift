import NIOCore
import Testing

@testable import Server

/// The connection timeouts' rules, in simulated time: what is timed, from when, and what never is.
@Suite struct ConnectionDeadlinesTests {
    let timeouts = ConnectionDeadlines.Timeouts(idle: .seconds(60), head: .seconds(20), body: .seconds(30))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func aNewConnectionMustSendItsHeadWithinTheHeadTimeout() {
        var deadlines = ConnectionDeadlines(timeouts: timeouts, openedAt: start)
        #expect(deadlines.deadline?.at == at(20))
        #expect(deadlines.deadline?.expiry == .head(partial: false))
        // Bytes trickling in do not move the head clock: the whole head has 20 s.
        deadlines.bytesArrived(at: at(5))
        deadlines.bytesArrived(at: at(15))
        #expect(deadlines.deadline?.at == at(20))
        #expect(deadlines.deadline?.expiry == .head(partial: true))
    }

    @Test func nothingIsTimedWhileTheAnswerIsComputedOrSent() {
        var deadlines = ConnectionDeadlines(timeouts: timeouts, openedAt: start)
        deadlines.bytesArrived(at: at(1))
        deadlines.requestHeadReceived()
        deadlines.requestEnded(at: at(1))
        #expect(deadlines.deadline == nil, "a long exec: the server is the slow one")
        deadlines.answerBegan()
        deadlines.readRequested(at: at(2))
        #expect(deadlines.deadline == nil, "an event stream or a download to a slow reader")
        deadlines.answerEnded(at: at(500))
        #expect(deadlines.deadline?.at == at(560))
        #expect(deadlines.deadline?.expiry == .idle)
    }

    @Test func theNextRequestsFirstByteEndsTheIdleWaitAndStartsItsHeadClock() {
        var deadlines = ConnectionDeadlines(timeouts: timeouts, openedAt: start)
        deadlines.requestHeadReceived()
        deadlines.requestEnded(at: at(0))
        deadlines.answerEnded(at: at(1))
        deadlines.bytesArrived(at: at(40))
        #expect(deadlines.deadline?.at == at(60))
        #expect(deadlines.deadline?.expiry == .head(partial: true))
    }

    @Test func aBodyIsTimedOnlyWhileTheServerWaitsForItsBytes() {
        var deadlines = ConnectionDeadlines(timeouts: timeouts, openedAt: start)
        deadlines.bytesArrived(at: at(0))
        deadlines.requestHeadReceived()
        #expect(deadlines.deadline == nil, "the server has not asked for body bytes yet (its handler is busy)")
        deadlines.readRequested(at: at(10))
        #expect(deadlines.deadline?.at == at(40))
        #expect(deadlines.deadline?.expiry == .body)
        // Progress restarts the wait at the next read; asking again does not.
        deadlines.bytesArrived(at: at(39))
        #expect(deadlines.deadline == nil)
        deadlines.readRequested(at: at(39))
        deadlines.readRequested(at: at(50))
        #expect(deadlines.deadline?.at == at(69))
    }

    @Test func anEarlyAnswerLeavesTheRestOfTheBodyTimedThenTheIdleWait() {
        var deadlines = ConnectionDeadlines(timeouts: timeouts, openedAt: start)
        deadlines.requestHeadReceived()
        deadlines.answerBegan()
        deadlines.answerEnded(at: at(1))
        deadlines.readRequested(at: at(2))
        #expect(deadlines.deadline?.at == at(32))
        #expect(deadlines.answerStarted, "a body timeout now can only close, not answer 408")
        deadlines.requestEnded(at: at(3))
        #expect(deadlines.deadline?.at == at(63))
        #expect(deadlines.deadline?.expiry == .idle)
    }

    @Test func aWebSocketIsNeverTimed() {
        var deadlines = ConnectionDeadlines(timeouts: timeouts, openedAt: start)
        deadlines.bytesArrived(at: at(0))
        deadlines.becameWebSocket()
        deadlines.readRequested(at: at(1))
        #expect(deadlines.deadline == nil)
    }
}
