import Agent
import Foundation
import JSONValues
import ModelProviders
import Sandbox
import TestSupport
import Testing

/// `Bash` calls served by bashes the sandbox's runner started ahead (every call after an agent's
/// first): the tool's semantics hold on that path too. Each command reports whether it ran in
/// such a bash (its command line is the runner's bootstrap), so a runner without them fails here
/// instead of passing on the old path.
@Suite("Bash on pre-started bashes in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct PrestartedBashToolTests {
    /// Appended to a command: `prestarted=1` when a pre-started bash ran it (the pattern's
    /// brackets keep it from matching the command itself, which a fresh bash's command line is).
    static let report = "; echo \"prestarted=$(tr '\\0' ' ' < /proc/$$/cmdline | grep -c '__sandcastle_[n]')\""

    static func bash(_ id: String, _ command: String) -> ToolCall {
        call(id, "Bash", ["command": .string(command)])
    }

    /// Each command creates its file, then waits for the other's: only calls that run at the
    /// same time both meet (as in ``SandboxLoopTests/rendezvous(mine:theirs:)``), then report.
    static func meet(mine: String, theirs: String) -> String {
        "touch /tmp/\(mine); for i in $(seq 1 200); do [ -e /tmp/\(theirs) ] && break; sleep 0.05; done; "
            + "[ -e /tmp/\(theirs) ] && echo met-\(theirs) || echo alone" + report
    }

    @Test("after a first call, parallel calls both run at once in pre-started bashes; a cd carries over, then is started ahead too")
    func concurrencyAndDirectory() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let provider = ScriptedProvider([
                .tools(Self.bash("first", "true" + Self.report)),
                .tools(Self.bash("left", Self.meet(mine: "l", theirs: "r")), Self.bash("right", Self.meet(mine: "r", theirs: "l"))),
                .tools(Self.bash("cd", "mkdir -p sub && cd sub" + Self.report)),
                .tools(Self.bash("moved", "pwd" + Self.report)),
                .tools(Self.bash("again", "pwd" + Self.report)),
                .text("done"),
            ])
            let result = try await SandboxLoopTests.loop(provider, sandbox: sandbox) { $0.maxTurns = 10 }.run(prompt: "go")
            #expect(result.subtype == "success")
            #expect(result.toolResult("first")?.content == "prestarted=0\n", "the first call of a sandbox starts its bash")
            #expect(
                result.toolResult("left")?.content == "met-r\nprestarted=1\n",
                "prestarted=0: the image's runner starts no bash ahead; build the images with this checkout's runner (sandcastle images build)")
            #expect(result.toolResult("right")?.content == "met-l\nprestarted=1\n")
            #expect(result.toolResult("cd")?.content == "prestarted=1\n")
            #expect(result.toolResult("moved")?.content == "/workspace/sub\nprestarted=0\n", "a new directory starts fresh")
            #expect(result.toolResult("again")?.content == "/workspace/sub\nprestarted=1\n")
        }
    }

    @Test("cancelling a pre-started call kills its process in the sandbox; its output is capped as ever")
    func cancellationAndCap() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let flood = "head -c 5000000 /dev/zero | tr '\\0' a"
            let provider = ScriptedProvider([
                .tools(Self.bash("first", "true")),
                .tools(Self.bash("flood", flood)),
                .tools(Self.bash("sleeper", "sleep 60; echo woke")),
            ])
            let agent = try SandboxLoopTests.loop(provider, sandbox: sandbox)
            let task = Task { await agent.run(prompt: "work") }
            let running = try await eventually(.seconds(30)) {
                try await AgentFixture.shell(sandbox, "pgrep -x sleep || true").contains(where: \.isNumber)
            }
            #expect(running, "the sleep never started")
            // The sleep's parent is the shell that runs the command.
            let sleeper = try await AgentFixture.shell(sandbox, "tr '\\0' ' ' < /proc/$(ps -o ppid= -p $(pgrep -x sleep | head -1) | tr -d ' ')/cmdline")
            task.cancel()
            let result = await task.value
            #expect(result.outcome.terminalReason == "aborted_tools")
            let gone = try await eventually(.seconds(10)) {
                try await AgentFixture.shell(sandbox, "pgrep -x sleep || echo none").contains("none")
            }
            #expect(gone, "sleep 60 is still running in the sandbox")
            #expect(sleeper.contains("__sandcastle_n"), "the sleep's shell was not a pre-started bash: \(sleeper)")
            let capped = try #require(result.toolResult("flood")?.content)
            #expect(capped.contains("output truncated") && capped.utf8.count < 40_000, "\(capped.suffix(300))")
        }
    }
}
