import Foundation
import Sandbox
import Testing

/// Command lines through `execute`, the same checks on every backend.
@Suite("Backend conformance: command lines", .serialized, .timeLimit(.minutes(3)))
struct ShellConformanceTests {
    @Test("cd, export and functions persist across execs where the backend keeps a shell", arguments: BackendUnderTest.allCases)
    func shellState(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            _ = try await sandbox.run("mkdir -p /tmp/work/a && cd /tmp/work/a && export GREETING='hello world'")
            _ = try await sandbox.run("shout() { echo \"${1^^}\"; }")
            let output = try await sandbox.run("pwd; echo \"$GREETING\"; shout quiet 2>/dev/null || echo no-function")
            if backend.hasPersistentShell {
                #expect(output.text == "/tmp/work/a\nhello world\nQUIET\n")
                #expect(output.result.workingDirectory == "/tmp/work/a")
            } else {
                // Each command line starts afresh in the home folder, as E2B's SDK runs it.
                #expect(output.text == "\(backend.home)\n\nno-function\n")
            }
            #expect(output.exitCode == 0)
        }
    }

    @Test("exit codes come back, and `exit` does not break the sandbox", arguments: BackendUnderTest.allCases)
    func exitCodes(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            #expect(try await sandbox.run("true").exitCode == 0)
            #expect(try await sandbox.run("false").exitCode == 1)
            #expect(try await sandbox.run("(exit 42)").exitCode == 42)
            #expect(try await sandbox.run("sh -c 'kill -TERM $$'").exitCode == 128 + SIGTERM)
            if backend.hasPersistentShell {
                // `exit` ends the persistent shell itself: the command fails, the next one gets a new shell.
                await #expect(throws: (any Error).self) { try await sandbox.run("exit 3") }
            } else {
                #expect(try await sandbox.run("exit 3").exitCode == 3)
            }
            #expect(try await sandbox.run("echo still here").text == "still here\n")
        }
    }

    @Test("output is clean: no prompt, echo, markers or carriage returns", arguments: BackendUnderTest.allCases)
    func cleanOutput(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let output = try await sandbox.run("echo one; printf 'two\\n'; echo three >&2")
            // Docker's shell runs on a PTY, where stderr joins stdout; E2B keeps them apart.
            #expect(output.stdoutText + output.stderrText == "one\ntwo\nthree\n")
            let empty = try await sandbox.run("true")
            #expect(empty.stdout.isEmpty)
            let raw = try await sandbox.run(.shell("printf 'a\\r\\nb'", rawOutput: true)).collect()
            #expect(raw.text == "a\r\nb")
            let multiline = try await sandbox.run(
                """
                for i in 1 2 3; do
                  echo "line $i"
                done
                cat <<'END'
                heredoc $HOME
                END
                """)
            #expect(multiline.text == "line 1\nline 2\nline 3\nheredoc $HOME\n")
        }
    }

    @Test("output streams while the command runs", arguments: BackendUnderTest.allCases)
    func streaming(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            // The command prints its second line only once the test, having received the first,
            // creates `go`: buffered output would leave it waiting out its 60 s and print "no go".
            // No clock is involved, so a loaded machine cannot fail this.
            let command = """
                echo first
                for i in $(seq 600); do [ -e go ] && break; sleep 0.1; done
                if [ -e go ]; then echo second; else echo "no go"; fi
                """
            let process = try await sandbox.run(.shell(command))
            var text = ""
            var released = false
            var finished = false
            for try await event in process.events {
                switch event {
                case .output(_, let bytes):
                    text += String(decoding: bytes, as: UTF8.self)
                    if !released, text.hasPrefix("first\n") {
                        released = true
                        _ = try await sandbox.writeFile("go", bytes: [])
                    }
                case .finished:
                    finished = true
                case .started:
                    break
                }
            }
            #expect(released, "the first line never arrived on its own")
            #expect(finished)
            #expect(text == "first\nsecond\n")
        }
    }

    @Test("a timeout interrupts `sleep 100` within timeout + 1 s, and the next exec works", arguments: BackendUnderTest.allCases)
    func timeoutInterrupts(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let start = ContinuousClock.now
            let output = try await sandbox.run("sleep 100", timeout: .seconds(2))
            let elapsed = ContinuousClock.now - start
            #expect(output.result.timedOut)
            #expect(output.exitCode != 0)
            // The bound (timeout + 1 s) is checked on the runner's own clock, which a stalled test
            // process cannot stretch (the E2B client times its commands itself, so only Docker's
            // runner has one); the wall clock only tells "interrupted" from "ran to its end".
            if backend == .docker {
                #expect(output.result.duration < .seconds(3), "took \(output.result.duration)")
            }
            #expect(elapsed < .seconds(60), "took \(elapsed)")
            let busyLoop = try await sandbox.run("while :; do :; done", timeout: .seconds(1))
            #expect(busyLoop.result.timedOut)
            let next = try await sandbox.run("echo alive")
            #expect(next.text == "alive\n")
            #expect(!next.result.timedOut)
        }
    }

    @Test("a background job survives the exec that started it", arguments: BackendUnderTest.allCases)
    func backgroundJob(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            _ = try await sandbox.run("sleep 300 >/dev/null 2>&1 & echo $! > /tmp/bg.pid")
            let check = try await sandbox.run("kill -0 $(cat /tmp/bg.pid) && echo running")
            #expect(check.text == "running\n")
            _ = try await sandbox.run("(sleep 0.5; echo done > /tmp/bg.out) >/dev/null 2>&1 &")
            // Waited for inside the sandbox (up to 30 s), not by a host clock a loaded machine stretches.
            let later = try await sandbox.run("for i in $(seq 300); do [ -s /tmp/bg.out ] && break; sleep 0.1; done; cat /tmp/bg.out")
            #expect(later.text == "done\n")
        }
    }

    @Test("no defunct processes after 50 orphaned children", arguments: BackendUnderTest.allCases)
    func reapsOrphans(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            _ = try await sandbox.run("for i in $(seq 50); do (sleep 0.2 >/dev/null 2>&1 &) ; done")
            // Until every orphan has exited and been reaped (up to 30 s): a sleep still running or a
            // zombie keeps the loop going; zombies that are never reaped fail the checks below.
            _ = try await sandbox.run(
                """
                for i in $(seq 300); do
                  n=$(grep -l -e '^Name:[[:space:]]*sleep$' -e '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)
                  [ "$n" = 0 ] && break; sleep 0.1
                done
                """)
            let zombies = try await sandbox.run("grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l")
            #expect(zombies.trimmed == "0")
            let processes = try await sandbox.run("ps -e -o stat= | grep -c Z || true")
            #expect(processes.trimmed == "0")
        }
    }

    @Test("10 MiB of output is capped and flagged without exhausting memory", arguments: BackendUnderTest.allCases)
    func outputCap(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let cap: UInt64 = 1024 * 1024
            let output = try await sandbox.run("head -c 10485760 /dev/zero | tr '\\0' 'x'", maxOutputBytes: cap)
            #expect(output.result.truncated)
            #expect(UInt64(output.stdout.count) == cap)
            #expect(output.result.outputBytes == 10 * 1024 * 1024)
            #expect(output.exitCode == 0)
            let yes = try await sandbox.run("yes", timeout: .milliseconds(1500), maxOutputBytes: cap)
            #expect(yes.result.truncated && yes.result.timedOut)
            #expect(UInt64(yes.stdout.count) == cap)
            #expect(try await sandbox.run("echo ok").text == "ok\n")
        }
    }
}

extension CollectedOutput {
    var text: String { stdoutText }
    var trimmed: String { stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) }
}
