import Benchmarks
import Foundation
import Store
import Testing
import Workflow

@testable import Engine

/// The engine benchmark's DAG and its no-op run, at a size a debug build does quickly.
@Suite(.timeLimit(.minutes(3)))
struct EngineBenchmarkTests {
    @Test func theDAGMixesChainsAndWideFanOuts() {
        let wf = EngineBenchmark.workflow(steps: 1_000, segment: 100)
        #expect(wf.steps.count == 1_000)
        #expect(Set(wf.steps.map(\.id)).count == 1_000)
        let graph = WorkflowGraph(wf)
        #expect(graph.topologicalOrder()?.count == 1_000, "acyclic")
        let widest = graph.dependents.values.map(\.count).max() ?? 0
        let joins = graph.dependencies.values.map(\.count).max() ?? 0
        #expect(widest == 50 && joins == 50, "each segment fans out to half its steps and joins them")
        // Segments are chained: everything is downstream of the first step.
        #expect(graph.descendants(of: "s0").count == 999)
        #expect(graph.layers().count > 100, "long chains")
    }

    @Test func aLargeRunCompletesOnSQLiteWithEveryStepRecorded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let repository = try SQLiteRunRepository(path: directory.appendingPathComponent("bench.sqlite").path)
        let wf = EngineBenchmark.workflow(steps: 2_000)
        let result = try await EngineBenchmark.measure(wf, repository: repository)
        #expect(result.status == .completed)
        #expect(result.sandboxes == 2_000)
        let run = try #require(try repository.listRuns(RunQuery()).first)
        let detail = try #require(try repository.run(id: run.id))
        #expect(detail.steps.count == 2_000 && detail.steps.allSatisfy { $0.status == .completed })
        #expect(result.overheadMillisecondsPerStep > 0)
    }
}
