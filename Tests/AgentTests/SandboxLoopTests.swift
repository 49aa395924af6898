import Agent
import Foundation
import JSONValues
import ModelProviders
import Sandbox
import TestSupport
import Testing

/// The loop driving real tools in a real sandbox: concurrency, cancellation, timeouts.
@Suite("The agent loop in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct SandboxLoopTests {
    static func loop(
        _ provider: ScriptedProvider, sandbox: any SandboxInstance, events: EventLog = EventLog(), _ adjust: (inout AgentConfiguration) -> Void = { _ in }
    ) throws -> AgentLoop {
        var configuration = AgentConfiguration(model: "sonnet", maxTurns: 5)
        adjust(&configuration)
        return AgentLoop(provider: provider, configuration: configuration, tools: try .standard(network: false), sandbox: sandbox, events: events.sink)
    }

    /// Each command creates its own file, then waits for the other's: only calls that run at the
    /// same time can both succeed.
    static func rendezvous(mine: String, theirs: String) -> String {
        "touch /tmp/\(mine); for i in $(seq 1 200); do [ -e /tmp/\(theirs) ] && echo met-\(theirs) && exit 0; sleep 0.05; done; echo alone; exit 1"
    }

    @Test("two Bash calls of one turn run at the same time")
    func concurrentCalls() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let provider = ScriptedProvider([
                .tools(
                    call("left", "Bash", ["command": .string(Self.rendezvous(mine: "a", theirs: "b"))]),
                    call("right", "Bash", ["command": .string(Self.rendezvous(mine: "b", theirs: "a"))]),
                    call("read", "Read", ["file_path": "/etc/hostname"])),
                .text("met"),
            ])
            let result = try await Self.loop(provider, sandbox: sandbox).run(prompt: "meet")
            #expect(result.toolResult("left")?.content == "met-b\n")
            #expect(result.toolResult("right")?.content == "met-a\n")
            #expect(result.toolResult("read")?.isError == false)
            #expect(result.subtype == "success")
        }
    }

    /// Waits for the sleep to be running in the sandbox, cancels or times out, and checks that the
    /// loop came back promptly and that the process is gone.
    func interruptLongTool(timeout: Duration?, cancel: Bool) async throws -> AgentResult {
        try await AgentFixture.withSandbox { sandbox in
            let provider = ScriptedProvider([.tools(call("sleeper", "Bash", ["command": "sleep 60; echo woke"]))])
            let events = EventLog()
            let agent = try Self.loop(provider, sandbox: sandbox, events: events) { $0.timeout = timeout }
            let task = Task { await agent.run(prompt: "sleep") }
            let running = try await eventually(.seconds(30)) {
                try await AgentFixture.shell(sandbox, "pgrep -x sleep || true").contains(where: \.isNumber)
            }
            #expect(running, "the sleep never started")
            let start = ContinuousClock.now
            if cancel { task.cancel() }
            let result = await task.value
            let waited = ContinuousClock.now - start
            // Far below the sleep's 60 s, not tight: in the whole suite on two cores a task can
            // wait seconds for a cooperative thread.
            #expect(waited < .seconds(30), "the loop took \(waited) to come back")
            let gone = try await eventually(.seconds(10)) {
                try await AgentFixture.shell(sandbox, "pgrep -x sleep || echo none").contains("none")
            }
            let processes = try await AgentFixture.shell(sandbox, "ps -eo pid,args")
            #expect(gone, "sleep 60 is still running in the sandbox: \(processes)")
            // The interrupted call is still answered, so the transcript stays well formed.
            #expect(result.toolResult("sleeper")?.content == "The tool call was cancelled.")
            #expect(events.toolFinishes.map(\.id) == ["sleeper"])
            return result
        }
    }

    @Test("cancelling the run during a long Bash ends it within 2 s and kills the process in the sandbox")
    func cancelDuringTool() async throws {
        let result = try await interruptLongTool(timeout: nil, cancel: true)
        #expect(result.outcome.terminalReason == "aborted_tools")
    }

    @Test("the run's timeout interrupts a long Bash the same way, and says it was the timeout")
    func timeoutDuringTool() async throws {
        let result = try await interruptLongTool(timeout: .seconds(3), cancel: false)
        guard case .timedOut(let after) = result.outcome else {
            Issue.record("outcome \(result.outcome)")
            return
        }
        #expect(after == .seconds(3))
    }

    @Test("a sandbox that dies under the tools ends the run as sandbox_gone")
    func sandboxGone() async throws {
        let backend = try await AgentFixture.backend()
        let sandbox = try await backend.createSandbox(SandboxSpec(image: "base"))
        let provider = ScriptedProvider([.tools(call("t1", "Bash", ["command": "true"])), .text("unreachable")])
        try await sandbox.destroy()
        let result = try await Self.loop(provider, sandbox: sandbox).run(prompt: "go")
        #expect(result.outcome.terminalReason == "sandbox_gone", "\(result.outcome)")
        #expect(result.toolResult("t1")?.isError == true)
        #expect(provider.requests.count == 1)
    }
}
