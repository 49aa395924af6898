import Agent
import Foundation
import ModelProviders
import Sandbox
import TestSupport
import Testing

/// The official MCP Python SDK as the server of the MCP client tests: installed on the host by
/// scripts/mcp-python-sdk (a pinned version under .build, made once), copied into sandboxes for
/// stdio servers, run on the host for HTTP ones. Nothing skips: without python3 3.11, pip or
/// PyPI the script fails and so do the tests.
enum MCPFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let serverScript = root.appendingPathComponent("Tests/AgentTests/python/mcp_test_server.py")
    /// Where the SDK and the server script go inside a sandbox.
    static let sandboxFolder = "/workspace/.mcp-sdk"

    /// The host folder holding the SDK.
    static func sdkFolder() async throws -> String {
        let output = try await runChild(root.appendingPathComponent("scripts/mcp-python-sdk").path, includeStandardError: false)
        let folder = output.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard output.status == 0, FileManager.default.fileExists(atPath: folder) else {
            Issue.record("scripts/mcp-python-sdk failed (status \(output.status)): \(output.text)")
            throw MCPError(.startFailed, server: "fixture", "no MCP Python SDK")
        }
        return folder
    }

    /// Copies the SDK and the server script into `sandbox` (one tar, unpacked there).
    static func install(in sandbox: any SandboxInstance) async throws {
        let folder = try await sdkFolder()
        let archive = folder + ".tar"
        if !FileManager.default.fileExists(atPath: archive) {
            let tar = try await runChild("tar", ["-cf", archive + ".partial", "-C", folder, "."])
            #expect(tar.status == 0, "tar: \(tar.text)")
            try FileManager.default.moveItem(atPath: archive + ".partial", toPath: archive)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        _ = try await sandbox.writeFile(FileWrite(path: "/workspace/.mcp-sdk.tar"), contents: ChunkedBytes(Array(bytes)))
        let script = try Data(contentsOf: serverScript)
        let unpack = try await sandbox.run(
            arguments: ["bash", "-c", "mkdir -p \(sandboxFolder) && tar -xf /workspace/.mcp-sdk.tar -C \(sandboxFolder) && rm /workspace/.mcp-sdk.tar"])
        #expect(unpack.exitCode == 0, "unpacking the SDK: \(unpack.stderrText)")
        _ = try await sandbox.writeFile(FileWrite(path: sandboxFolder + "/mcp_test_server.py"), contents: ChunkedBytes(Array(script)))
    }

    /// The test server as a stdio server inside the sandbox.
    static func stdioServer(_ name: String = "t", greeting: String = "hello") -> MCPServerConfiguration {
        .stdio(
            name, command: "python3", arguments: [sandboxFolder + "/mcp_test_server.py", "stdio"],
            environment: ["PYTHONPATH": SecretValue(sandboxFolder), "MCP_GREETING": SecretValue(greeting)])
    }

    /// Runs `body` with a fresh `python` sandbox holding the SDK.
    static func withServerSandbox<T>(_ body: (any SandboxInstance) async throws -> T) async throws -> T {
        try await AgentFixture.withSandbox(image: "python") { sandbox in
            try await install(in: sandbox)
            return try await body(sandbox)
        }
    }

    /// The python processes of the test server still in `sandbox`.
    static func serverProcesses(in sandbox: any SandboxInstance) async throws -> String {
        try await AgentFixture.shell(
            sandbox,
            "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null | grep -q '^python3 .*mcp_test_server' && echo ${f#/proc/}; done; true")
    }
}

/// The test server running on the host over Streamable HTTP, stopped by ``stop()``.
final class HostMCPServer {
    let process: Process
    let url: String
    let log: URL

    private init(process: Process, url: String, log: URL) {
        self.process = process
        self.url = url
        self.log = log
    }

    /// What the server logged (uvicorn's access lines, tracebacks).
    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Starts it (`json`: answers as application/json rather than SSE) and waits for its port.
    static func start(json: Bool = false) async throws -> HostMCPServer {
        let folder = try await MCPFixture.sdkFolder()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", MCPFixture.serverScript.path, "http"] + (json ? ["json"] : [])
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = folder
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        // Its log (uvicorn's access lines) is kept for a failing test to show.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mcp-host-server-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let handle = output.fileHandleForReading
        let line = try await offThePool { () -> String in
            var bytes: [UInt8] = []
            while let byte = try handle.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
            return String(decoding: bytes, as: UTF8.self)
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            process.terminate()
            Issue.record("the HTTP MCP server did not report its port: \(line)")
            throw MCPError(.startFailed, server: "fixture", "no port")
        }
        let url = "http://127.0.0.1:\(port)/mcp"
        // Listening is announced by the port answering, not by a delay.
        let up = await eventually(.seconds(30)) {
            (try? await runChild("curl", ["-s", "-o", "/dev/null", "--max-time", "2", "-w", "%{http_code}", url]).text).map { $0 != "000" } ?? false
        }
        #expect(up, "the HTTP MCP server never answered on \(url)")
        return HostMCPServer(process: process, url: url, log: log)
    }

    /// SIGKILL: uvicorn's graceful SIGTERM waits for idle keep-alive connections to close.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: log)
    }
}
