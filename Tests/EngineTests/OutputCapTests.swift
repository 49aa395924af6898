import Foundation
import Store
import Testing
import Workflow

@testable import Engine

/// Step outputs above the inline limit go to a file under the data folder; the database keeps
/// the head and the path, later steps and `resume` still see the whole value.
@Suite(.timeLimit(.minutes(1)))
struct OutputCapTests {
    @Test func aLargeOutputIsStoredAsAFileWithItsHeadInline() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("caps-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let repository = InMemoryRunRepository()
        let items = (0..<200).map { "item-\($0)" }
        let big = JSONValue.object(["items": .array(items.map(JSONValue.string))])
        let backend = FakeBackend { spec, _ in
            stepOf(spec) == "big" ? FakeReply(stdout: big.jsonText + "\n") : FakeReply(stdout: "small\n")
        }
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(
                dataDirectory: data.path, collectArtifacts: false,
                inlineOutputLimit: 256))
        let wf = try workflow(
            """
            name: caps
            steps:
              - {id: big, run: ./produce}
              - {id: next, depends_on: [big], run: "echo {steps.big.output.items.199}"}
            """)
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(backend.entries(forStep: "next").first?.spec.environment.values.contains("item-199") == true)

        let detail = try #require(try repository.run(id: outcome.runID))
        let record = try #require(detail.steps.first { $0.stepID == "big" })
        let path = try #require(record.outputPath)
        #expect(path == RunFiles(dataDirectory: data.path).outputFile(outcome.runID, step: "big", json: true))
        #expect(record.outputJSON == nil)
        #expect((record.outputText?.utf8.count ?? 0) <= 256 && big.jsonText.hasPrefix(record.outputText ?? "x"))
        #expect(JSONValue.parse(json: try String(contentsOfFile: path, encoding: .utf8)) == big)
        // The small output stays inline.
        #expect(detail.steps.first { $0.stepID == "next" }?.outputPath == nil)
        // What resume rebuilds from the record is the whole value.
        let step = try #require(wf.step("big"))
        #expect(WorkflowEngine.priorResult(record, step: step, workflow: wf)?.1.output == big)
        try FileManager.default.removeItem(atPath: path)
        #expect(WorkflowEngine.priorResult(record, step: step, workflow: wf) == nil, "without its file the step runs again")
    }

    @Test func fanOutItemRowsAreCappedToo() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("caps-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let repository = InMemoryRunRepository()
        let long = String(repeating: "x", count: 500)
        let backend = FakeBackend { _, _ in FakeReply(stdout: long + "\n") }
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(
                dataDirectory: data.path, collectArtifacts: false,
                inlineOutputLimit: 100))
        let wf = try workflow(
            """
            name: caps-fan
            inputs:
              items: {type: list, default: [1, 2]}
            steps:
              - {id: each, parallel_over: "{input.items}", run: "echo {input._item}"}
            """)
        let outcome = try await engine.run(wf)
        #expect(outcome.status == .completed, "\(outcome.error ?? "")")
        #expect(outcome.steps["each"]?.output == [.string(long), .string(long)])
        let rows = try #require(try repository.run(id: outcome.runID)).steps.filter { $0.stepID == "each" }
        #expect(rows.count == 3, "the step's row and one per item")
        for row in rows {
            let path = try #require(row.outputPath, "row \(String(describing: row.fanoutIndex)) kept inline")
            #expect((row.outputText?.utf8.count ?? 0) <= 100 && row.outputJSON == nil)
            #expect(FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func headCutsAtACharacterBoundary() {
        #expect(WorkflowEngine.head(of: "aé🏰b", bytes: 4) == "aé")
        #expect(WorkflowEngine.head(of: "aé🏰b", bytes: 7) == "aé🏰")
        #expect(WorkflowEngine.head(of: "abc", bytes: 10) == "abc")
    }
}
