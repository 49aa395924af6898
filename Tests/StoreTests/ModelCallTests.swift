import Foundation
import Testing

@testable import Store

/// Tokens and cost of agent steps: recorded per call, summed per run, unknown cost kept unknown.
@Suite struct ModelCallTests {
    @Test(arguments: RepositoryKind.allCases)
    func callsAreKeptInOrderAndSummedWithUnknownCostKeptUnknown(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.createRun(RunRecord(id: "r1", workflowName: "w", maxCostUSD: 0.5))
            try repo.createRun(RunRecord(id: "r2", workflowName: "w"))
            let priced = ModelCallRecord(
                runID: "r1", stepID: "a", attempt: 1, turn: 1, provider: "anthropic", model: "sonnet", inputTokens: 1000,
                outputTokens: 200, cacheReadTokens: 50, cacheWriteTokens: 10, costUSD: 0.006, durationMs: 120)
            var second = priced
            second.turn = 2
            second.costUSD = 0.004
            var unpriced = priced
            unpriced.stepID = "b"
            unpriced.fanoutIndex = 3
            unpriced.model = "openai/mystery"
            unpriced.costUSD = nil
            try repo.write([.recordModelCall(priced), .recordModelCall(second)])
            try repo.write([.recordModelCall(ModelCallRecord(runID: "r2", stepID: "x", attempt: 1, turn: 1, provider: "p", model: "m", costUSD: 1))])

            #expect(try repo.run(id: "r1")?.run.maxCostUSD == 0.5)
            let calls = try repo.modelCalls(runID: "r1")
            #expect(calls.map(\.turn) == [1, 2])
            #expect(calls.first?.inputTokens == 1000 && calls.first?.cacheWriteTokens == 10)

            var usage = try repo.modelUsage(runIDs: ["r1", "r2", "none"])
            #expect(usage.count == 2)
            #expect(usage["r1"]?.calls == 2)
            #expect(usage["r1"]?.outputTokens == 400)
            #expect(abs((usage["r1"]?.costUSD ?? -1) - 0.01) < 1e-9)

            // One call without a price makes the run's cost unknown, with the known part kept.
            try repo.write([.recordModelCall(unpriced)])
            usage = try repo.modelUsage(runIDs: ["r1"])
            #expect(usage["r1"]?.costUSD == nil)
            #expect(usage["r1"]?.unpricedCalls == 1)
            #expect(abs((usage["r1"]?.pricedCostUSD ?? -1) - 0.01) < 1e-9)
            #expect(try repo.modelCalls(runID: "r1").last?.fanoutIndex == 3)

            // A call for a run that does not exist is refused, and nothing of its batch is kept.
            let orphan = ModelCallRecord(runID: "ghost", stepID: "a", attempt: 1, turn: 1, provider: "p", model: "m", costUSD: 1)
            #expect(storeError { try repo.write([.recordModelCall(second), .recordModelCall(orphan)]) } != nil)
            #expect(try repo.modelCalls(runID: "r1").count == 3)
        }
    }
}
