import DockerEngine
import Foundation
import JSONValues
import ProviderDouble
import Sandbox
import TestSupport
import Testing

/// `sandcastle agent` end to end: the debug binary, real Docker and the `agent` image, the real
/// provider clients against the provider double. Nothing is skipped: without Docker, the image
/// or the binary these tests fail and say which.
@Suite(.serialized, .timeLimit(.minutes(5))) struct AgentCommandTests {
    static func key() -> String { "sk-ant-cli-\(UUID().uuidString.lowercased())" }

    /// The debug CLI built next to the tests (`swift build --build-tests` builds it).
    static func executable() throws -> URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(".build/debug/sandcastle")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw CLIFailure("build the sandcastle CLI first (swift build)")
    }

    struct CLIFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A working directory of its own, with `files` in it.
    static func directory(_ files: [String: String] = [:]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-agent-\(UUID().uuidString)")
        for (path, text) in files {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Only what the CLI needs: no key or models file of the machine running the tests leaks in.
    static func environment(key: String?, double: RunningProviderDouble?, home: URL) -> [String: String] {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": home.path]
        if let docker = ProcessInfo.processInfo.environment["DOCKER_HOST"] { environment["DOCKER_HOST"] = docker }
        if let key { environment["ANTHROPIC_API_KEY"] = key }
        if let double { environment["ANTHROPIC_BASE_URL"] = double.anthropicBaseURL }
        return environment
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [JSONValue] { stdout.split(separator: "\n").compactMap { JSONValue.parse(json: String($0)) } }
        var types: [String] { lines.compactMap { if case .string(let type)? = $0.child("type") { type } else { nil } } }
        func messages(_ type: String) -> [JSONValue] { lines.filter { $0.child("type") == .string(type) } }
    }

    /// Runs the CLI to its end, stdout and stderr apart.
    static func agent(_ arguments: [String], in directory: URL, environment: [String: String]) async throws -> Run {
        let (stdout, stderr) = (directory.appendingPathComponent("out.log"), directory.appendingPathComponent("err.log"))
        let process = try launch(arguments, in: directory, environment: environment, stdout: stdout, stderr: stderr)
        try await SendableProcess(process).waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }

    static func launch(_ arguments: [String], in directory: URL, environment: [String: String], stdout: URL, stderr: URL) throws -> Process {
        for url in [stdout, stderr] { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let process = Process()
        process.executableURL = try executable()
        process.arguments = ["agent"] + arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return process
    }

    /// Containers of one session (by its label), running or not.
    static func containers(session: String) async throws -> [ContainerSummary] {
        let docker = try await DockerClient.connect()
        return try await docker.listContainers(all: true, filters: .label(SandcastleLabels.agentSession, session))
    }

    /// Removes what a failed test may have left of a session, after its checks: a test that
    /// fails must not leak a container into the next.
    static func sweep(session: String) async {
        guard let docker = try? await DockerClient.connect(),
            let left = try? await docker.listContainers(all: true, filters: .label(SandcastleLabels.agentSession, session))
        else { return }
        for container in left { try? await docker.removeContainer(id: container.id, force: true, removeVolumes: true) }
    }

    static func toolResults(_ run: Run) -> [String] {
        run.messages("user").compactMap { message in
            if case .string(let text)? = message.child("message")?.child("content")?.child("0")?.child("content") { text } else { nil }
        }
    }

    @Test func theAgentWorksInASandboxWithTheUploadedFilesAndNeverSeesTheKey() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        let dump =
            "tr a-z A-Z < notes/input.txt > shout.txt && cat shout.txt && tr '\\0' ' ' < /proc/1/cmdline && echo && env "
            + "&& for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f 2>/dev/null; done"
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "Bash", input: ["command": .string(dump)])], text: "Let me look."),
                .calls([ScriptedToolCall(name: "Read", input: ["file_path": "/workspace/shout.txt"])]),
                .reply("Finished.", usage: ScriptedUsage(inputTokens: 2000, outputTokens: 40)),
            ])
        let directory = try Self.directory(["notes/input.txt": "hello from the host\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await Self.agent(
            ["Shout the notes", "-f", "notes/input.txt", "--json-output"], in: directory,
            environment: Self.environment(key: key, double: double, home: directory))

        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.types == ["system", "assistant", "user", "assistant", "user", "assistant", "result"], "\(run.stdout)\n\(run.stderr)")
        #expect(run.lines.count == run.stdout.split(separator: "\n").count, "every stdout line is one JSON message")
        let initMessage = try #require(run.messages("system").first)
        let session = try #require(initMessage.child("session_id").flatMap { if case .string(let id) = $0 { id } else { nil } })
        #expect(initMessage.child("subtype") == "init" && initMessage.child("cwd") == "/workspace")
        #expect(initMessage.child("tools") == ["Bash", "Read", "Write", "Edit", "Glob", "Grep"])
        #expect(run.lines.allSatisfy { $0.child("session_id") == nil || $0.child("session_id") == .string(session) })

        let firstCall = run.messages("assistant").first?.child("message")?.child("content")?.child("1")
        #expect(firstCall?.child("type") == "tool_use" && firstCall?.child("name") == "Bash")
        let results = Self.toolResults(run)
        #expect(results.count == 2)
        let bash = results.first ?? ""
        #expect(bash.contains("HELLO FROM THE HOST"), "the uploaded file was read and changed in the sandbox: \(bash.prefix(500))")
        #expect(bash.contains("sandcastle-runner"), "PID 1 is the sandbox's runner: \(bash.prefix(500))")
        #expect(bash.contains("PATH="), "the environment was dumped")
        #expect(results.last?.contains("HELLO FROM THE HOST") == true, "the file the command wrote is in the workspace for Read")
        #expect(!run.stdout.contains(key) && !run.stderr.contains(key), "the key is in no message: not in env, not in any /proc/*/environ")
        #expect(double.requests(key: key).allSatisfy { !$0.bodyText.contains(key) })
        let toolUseID = firstCall?.child("id")
        #expect(run.messages("user").first?.child("message")?.child("content")?.child("0")?.child("tool_use_id") == toolUseID)

        let result = try #require(run.messages("result").first)
        #expect(result.child("subtype") == "success" && result.child("is_error") == false && result.child("num_turns") == 3)
        #expect(result.child("result") == "Finished.")
        #expect((result.child("total_cost_usd")?.doubleValue ?? 0) > 0, "sonnet has a price")
        #expect(try await Self.containers(session: session).isEmpty, "the sandbox is gone")
        await Self.sweep(session: session)
    }

    @Test func sandstormJSONIsHonouredAndTheStructuredAnswerPrinted() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(
            key: key,
            turns: [
                .calls([ScriptedToolCall(name: "StructuredOutput", input: ["count": "three"])]),
                .calls([ScriptedToolCall(name: "StructuredOutput", input: ["count": 3])]),
            ])
        let config = """
            {"system_prompt": "You count things.", "system_prompt_append": "Be exact.", "model": "haiku", "max_turns": 4,
             "output_format": {"type": "json_schema", "schema": {"type": "object", "properties": {"count": {"type": "integer"}},
                               "required": ["count"]}},
             "allowed_tools": ["Read", "TodoWrite"], "colour": "blue"}
            """
        let directory = try Self.directory(["sandstorm.json": config])
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await Self.agent(["Count them"], in: directory, environment: Self.environment(key: key, double: double, home: directory))

        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasSuffix("{\n  \"count\": 3\n}\n"), "the structured answer on stdout: \(run.stdout)")
        #expect(run.stderr.contains("warning: sandstorm.json: unknown field 'colour' — ignoring"))
        #expect(run.stderr.contains("Warning: allowed_tools: TodoWrite left out"))
        #expect(run.stderr.contains("--- Result: success | 2 turns | $"), "\(run.stderr)")
        let sent = double.requests(key: key)
        #expect(sent.count == 2, "one repair of the invalid answer")
        let body = try #require(sent.first?.body)
        #expect(body.child("model") == "claude-haiku-5-5")
        #expect(body.child("system") == "You count things.\n\nBe exact.")
        let tools = body.child("tools").flatMap { tools -> [JSONValue]? in if case .array(let list) = tools { list } else { nil } } ?? []
        #expect(tools.compactMap { $0.child("name") } == ["Read", "StructuredOutput"])
    }

    @Test func anErrorResultExitsOneAndNoProviderExitsTwoBeforeAnySandbox() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(key: key, turns: [.calls([ScriptedToolCall(name: "Bash", input: ["command": "true"])])])
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let limited = try await Self.agent(
            ["Loop", "--max-turns", "1", "--json-output"], in: directory, environment: Self.environment(key: key, double: double, home: directory))
        #expect(limited.status == 1, "\(limited.stderr)")
        #expect(limited.messages("result").first?.child("subtype") == "error_max_turns")

        let unconfigured = try await Self.agent(["Hello"], in: directory, environment: Self.environment(key: nil, double: nil, home: directory))
        #expect(unconfigured.status == 2)
        for variable in ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY", "OLLAMA_HOST"] {
            #expect(unconfigured.stderr.contains(variable), "\(unconfigured.stderr)")
        }
        let traversal = try await Self.agent(
            ["Hello", "-f", "/etc/hostname", "-f", "/etc/hostname"], in: directory, environment: Self.environment(key: key, double: double, home: directory))
        #expect(traversal.status == 2 && traversal.stderr.contains("given twice"), "\(traversal.stderr)")
    }

    @Test func ctrlCEndsTheRunPromptlyAndRemovesTheSandbox() async throws {
        let double = try await ProviderDouble.start()
        defer { Task { await double.stop() } }
        let key = Self.key()
        double.setScript(key: key, turns: [.calls([ScriptedToolCall(name: "Bash", input: ["command": "sleep 120"])])])
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (stdout, stderr) = (directory.appendingPathComponent("out.log"), directory.appendingPathComponent("err.log"))
        let process = try Self.launch(
            ["Wait", "--json-output"], in: directory, environment: Self.environment(key: key, double: double, home: directory), stdout: stdout,
            stderr: stderr)
        func output() -> String { (try? String(contentsOf: stdout, encoding: .utf8)) ?? "" }
        // The model's tool call is out, so `sleep 120` is running in the sandbox.
        #expect(await eventually(.seconds(60)) { output().contains("\"tool_use\"") }, "\(output())")
        let session = try #require(
            JSONValue.parse(json: String(output().split(separator: "\n").first ?? ""))?.child("session_id").flatMap {
                if case .string(let id) = $0 { id } else { nil }
            })
        #expect(try await Self.containers(session: session).count == 1)
        let interrupted = ContinuousClock.now
        process.interrupt()
        try await SendableProcess(process).waitUntilExit()
        let took = ContinuousClock.now - interrupted
        #expect(process.terminationStatus == 130, "\((try? String(contentsOf: stderr, encoding: .utf8)) ?? "")")
        #expect(took < .seconds(10), "Ctrl-C took \(took)")
        #expect(try await Self.containers(session: session).isEmpty, "the sandbox was removed before the CLI exited")
        await Self.sweep(session: session)
    }
}
