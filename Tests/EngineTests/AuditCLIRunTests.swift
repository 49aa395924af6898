import Foundation
import JSONValues
import Store
import TestSupport
import Testing

/// A run made by `sandcastle run` (a child process, real Docker) leaves its audit chain: created
/// by `cli`, every transition by `engine`, in order, and `sandcastle audit verify|list` read it
/// from the data folder.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AuditCLIRunTests {
    @Test func aCLIRunsChainIsInOrderAndVerifies() async throws {
        let directory = try CLIRunTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("audited.yaml")
        try """
        name: audited
        inputs:
          items: {type: list, default: [1, 2]}
        steps:
          - id: first
            run: echo first
          - id: each
            depends_on: [first]
            parallel_over: "{input.items}"
            run: echo {input._item}
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        let run = try CLIRunTests.launch(["run", file.path, "--data-dir", data.path, "--max-parallel", "1"], in: directory)
        #expect(try await run.exit(within: .seconds(120)) == 0, "\(run.output)")
        let repository = try SQLiteRunRepository(path: data.appendingPathComponent("sandcastle.sqlite").path)
        let runID = try #require(try repository.listRuns(RunQuery()).first?.id)

        let entries = try repository.audit.chainEntries(.run(runID))
        #expect(
            entries.map(\.eventType) == [
                "run.created", "run.started", "step.started", "step.completed", "step.started", "step.completed", "step.started",
                "step.completed", "step.completed", "run.completed",
            ], "\(entries.map(\.eventType))")
        #expect(entries.first?.actorID == "cli")
        #expect(entries.dropFirst().allSatisfy { $0.actorID == "engine" })
        // Each item's start and end (the items' order is the scheduler's), then the step's own end.
        let items = entries.compactMap { entry in entry.payload.child("fanout_index").map { (entry.eventType, $0) } }
        #expect(items.count == 4 && items[0].1 == items[1].1 && items[2].1 == items[3].1 && items[0].1 != items[2].1, "\(items)")
        #expect(items.map(\.0) == ["step.started", "step.completed", "step.started", "step.completed"])
        #expect(try repository.audit.verify(runID: runID).valid)

        let verify = try CLIRunTests.launch(["audit", "verify", runID, "--data-dir", data.path], in: directory)
        #expect(try await verify.exit(within: .seconds(30)) == 0, "\(verify.output)")
        #expect(verify.output.contains("run \(runID): valid, \(entries.count) entries, head \(entries.last?.entryHash ?? "?")"), "\(verify.output)")
        let list = try CLIRunTests.launch(["audit", "list", runID, "--json", "--data-dir", data.path], in: directory)
        #expect(try await list.exit(within: .seconds(30)) == 0, "\(list.output)")
        guard case .array(let listed)? = JSONValue.parse(json: list.output) else {
            Issue.record("audit list --json printed no array: \(list.output)")
            return
        }
        #expect(listed.compactMap { $0.child("entry_hash") } == entries.map { .string($0.entryHash) })
    }
}
