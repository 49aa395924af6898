import Foundation
import JSONValues
import ProviderDouble
import Testing

@testable import Engine

/// `sandcastle run` with agent steps, as a user runs it: against a provider (the double), with
/// `--record`, and from the shipped recording with `--replay` and no provider at all.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AgentCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let example = root.appendingPathComponent("examples/lead-enrichment.yaml").path

    /// The CLI with `environment` instead of the test process's (no provider variable leaks in).
    static func run(_ arguments: [String], environment: [String: String], in directory: URL) async throws -> (status: Int32, output: String) {
        let log = directory.appendingPathComponent("cli-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = try CLIRunTests.executable()
        process.arguments = arguments
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ANTHROPIC_") && !$0.key.hasPrefix("OPENAI_") }
        base["OPENROUTER_API_KEY"] = nil
        base["OLLAMA_HOST"] = nil
        process.environment = base.merging(environment) { _, new in new }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
        let child = CLIRunTests.Child(process: process, log: log)
        let status = try await child.exit(within: .seconds(120))
        return (status, child.output)
    }

    /// The run's `runs show --json` document.
    static func show(_ runID: String, data: URL) async throws -> JSONValue {
        let (status, output) = try await run(["runs", "show", "--json", "--data-dir", data.path, runID], environment: [:], in: data)
        #expect(status == 0, "\(output)")
        return try #require(JSONValue.parse(json: output), "not JSON: \(output.prefix(400))")
    }

    static func runID(in output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("run ") && $0.hasSuffix(" completed") }, "\(output)")
        return String(line.split(separator: " ")[1])
    }

    @Test func theShippedRecordingReplaysTheExampleWithoutAnyProvider() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("agent-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let recording = Self.root.appendingPathComponent("examples/recordings/lead-enrichment.replay.jsonl").path
        let (status, output) = try await Self.run(
            ["run", Self.example, "--data-dir", data.path, "--replay", recording], environment: ["HOME": data.path], in: data)
        #expect(status == 0, "\(output)")
        #expect(output.contains("replaying the model's answers"))
        let document = try await Self.show(try Self.runID(in: output), data: data)
        #expect(document.child("status") == "completed")
        guard case .array(let steps)? = document.child("steps") else { throw EngineError(.internal, "no steps") }
        let score = steps.first { $0.child("id") == "score" }
        #expect(score?.child("output")?.child("score") == 82)
        #expect((document.child("usage")?.child("cost_usd")?.doubleValue ?? 0) > 0, "recorded usage is priced")
        guard case .array(let transcript)? = document.child("transcript") else { throw EngineError(.internal, "no transcript") }
        let tools = transcript.filter { $0.child("kind") == "tool_answered" }
        // The Bash call really ran in a sandbox: its output is the sandbox's, not the recording's.
        #expect(tools.contains { $0.child("name") == "Bash" && $0.child("output")?.renderedString.contains("research/notes.md") == true })
        // on_complete.storage_path kept the result under the data folder's storage/.
        let runID = try Self.runID(in: output)
        let stored = try Data(contentsOf: data.appendingPathComponent("storage/leads/\(runID)/result.json"))
        let result = try #require(JSONValue.parse(json: String(decoding: stored, as: UTF8.self)))
        #expect(result.child("steps")?.child("score")?.child("score") == 82)
        #expect(result.child("run_id") == .string(runID))
    }

    @Test func aRecordedRunReplaysToTheSameOutputs() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("agent-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: data) }
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let script = try ProviderScriptFile.load(path: Self.root.appendingPathComponent("examples/recordings/lead-enrichment.script.yaml").path)
        let key = "sk-ant-cli-\(UUID().uuidString.lowercased())"
        double.setScript(key: key, try #require(script.defaultScript))
        let recording = data.appendingPathComponent("run.jsonl").path
        let provider = ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL, "HOME": data.path]
        let first = try await Self.run(
            ["run", Self.example, "--data-dir", data.path, "--record", recording, "--max-cost", "5"], environment: provider, in: data)
        #expect(first.status == 0, "\(first.output)")
        let second = try await Self.run(
            ["run", Self.example, "--data-dir", data.path, "--replay", recording], environment: ["HOME": data.path], in: data)
        #expect(second.status == 0, "\(second.output)")
        let recorded = try await Self.show(try Self.runID(in: first.output), data: data)
        let replayed = try await Self.show(try Self.runID(in: second.output), data: data)
        func outputs(_ document: JSONValue) -> [String: JSONValue] {
            guard case .array(let steps)? = document.child("steps") else { return [:] }
            return Dictionary(
                uniqueKeysWithValues: steps.compactMap { step in
                    step.child("id").map { ($0.renderedString, step.child("output") ?? .null) }
                })
        }
        #expect(outputs(recorded).count == 3)
        #expect(outputs(recorded) == outputs(replayed))
        #expect(recorded.child("max_cost_usd")?.doubleValue == 5)
        #expect(double.requests(key: key).count == 5, "the replay called no provider")
    }

    @Test func aStoragePathThatWouldLeaveTheStorageFolderIsRefused() {
        let files = RunFiles(dataDirectory: "/data")
        #expect(files.storageFile("leads/r1/result.json") == "/data/storage/leads/r1/result.json")
        #expect(files.storageFile("a//b/./c.json") == nil)
        for hostile in ["../etc/passwd", "/etc/passwd", "a/../../b", "", "x\0y", "."] {
            #expect(files.storageFile(hostile) == nil, "\(hostile.debugDescription)")
        }
    }
}
