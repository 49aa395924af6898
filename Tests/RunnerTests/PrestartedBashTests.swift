import Foundation
import RunnerClient
import RunnerProtocol
import TestSupport
import Testing

/// `bash -c SCRIPT` spawns that allow a pre-started bash: after the first, the runner keeps bashes
/// started ahead and hands them the script, and what the script sees and does is what a fresh
/// `bash -c` would see and do (runner/README.md lists the few differences).
@Suite("Pre-started bash over pipes", .serialized, .timeLimit(.minutes(2)))
struct PrestartedBashTests {
    static func bash(
        _ script: String, in directory: String = "", environment: [String] = [], timeoutMilliseconds: UInt32 = 0,
        maxOutputBytes: UInt64 = 0, allowed: Bool = true
    ) -> SpawnRequest {
        SpawnRequest(
            arguments: ["bash", "-c", script], environment: environment, workingDirectory: directory,
            timeoutMilliseconds: timeoutMilliseconds, maxOutputBytes: maxOutputBytes, allowsPrestartedBash: allowed)
    }

    /// Prints what a script can observe of its shell, one fact a line, and last its command
    /// line, which tells a pre-started bash (it shows the bootstrap) from a fresh one.
    static let facts = """
        echo "0=$0 #=$# -=$- pwd=$PWD physical=$(pwd -P) seconds=$SECONDS ppid=$PPID"
        echo "stdin=$(readlink /proc/$$/fd/0) umask=$(umask) shlvl=$SHLVL greeting=${GREETING-unset} lineno=$LINENO"
        echo "execution=${BASH_EXECUTION_STRING:0:4}"
        shopt -p; set -o
        declare -p | grep -Ev '^declare -[-a-zA-Z]* (BASHPID|BASH_COMMAND|BASH_LINENO|EPOCHREALTIME|EPOCHSECONDS|LINENO|PIPESTATUS|RANDOM|SRANDOM|SECONDS|_)(=|$)'
        echo "__sandcastle left: ${!__sandcastle*}"
        echo "self=$$"
        tr '\\0' ' ' < /proc/$$/cmdline
        """

    static func served(_ output: CollectedOutput) -> Bool {
        output.stdoutText.contains("__sandcastle_n")
    }

    /// What a fresh bash and a pre-started one print alike: everything before their pid and
    /// command line, which come last.
    static func comparable(_ output: CollectedOutput) -> String {
        output.stdoutText.components(separatedBy: "\nself=")[0]
    }

    @Test("after the first call, a bash started ahead runs the script and it sees what a fresh bash -c sees")
    func sameAsAFreshBash() async throws {
        try await RunnerProtocolBehaviourTests.withRunner { connection, runner in
            try await connection.makeDirectory(path: "work")
            let environment = ["GREETING=hello"]
            let fresh = try await connection.spawn(Self.bash(Self.facts, in: "work", environment: environment, allowed: false)).collect()
            let first = try await connection.spawn(Self.bash(Self.facts, in: "work", environment: environment)).collect()
            let second = try await connection.spawn(Self.bash(Self.facts, in: "work", environment: environment)).collect()
            #expect(!Self.served(fresh) && !Self.served(first), "nothing is started ahead before the first call that allows it")
            #expect(Self.served(second), "the second call was not served by a pre-started bash:\n\(second.stdoutText)")
            #expect(fresh.exitCode == 0 && second.exitCode == 0 && second.stderrText.isEmpty, "\(second.stderrText)")
            #expect(Self.comparable(second) == Self.comparable(fresh))
            let lines = second.stdoutText.split(separator: "\n").map(String.init)
            let shell = "0=bash #=0 -=hBc pwd=\(runner.workspace.path)/work"
            #expect(lines.first?.hasPrefix(shell) == true && lines.first?.hasSuffix("seconds=0 ppid=\(runner.process.processIdentifier)") == true)
            #expect(lines.count > 1 && lines[1].hasPrefix("stdin=/dev/null ") && lines[1].hasSuffix(" greeting=hello lineno=2"), "\(lines)")
            #expect(lines.contains("__sandcastle left: "), "the bootstrap's variables are gone before the script runs")
            let pids = [first, second].compactMap { output in output.stdoutText.split(separator: "\n").first { $0.hasPrefix("self=") } }
            #expect(Set(pids).count == 2, "each call has a process of its own: \(pids)")
            #expect(second.pid == Int32(pids[1].dropFirst(5)), "the started pid is the script's shell")
        }
    }

    @Test("exit codes, stderr, syntax errors and a large script with any characters come through as from bash -c")
    func resultsAndScripts() async throws {
        try await RunnerProtocolBehaviourTests.withRunner { connection, _ in
            _ = try await connection.spawn(Self.bash("true")).collect()
            let failing = try await connection.spawn(Self.bash("echo out; echo err >&2; exit 7")).collect()
            #expect(failing.stdoutText == "out\n" && failing.stderrText == "err\n" && failing.exitCode == 7)

            // Runtime errors read as bash -c's; only the label of a syntax error differs (eval, not -c).
            let runtime = try await connection.spawn(Self.bash("true\nno-such-command-here")).collect()
            #expect(runtime.stderrText == "bash: line 2: no-such-command-here: command not found\n" && runtime.exitCode == 127)
            let syntax = try await connection.spawn(Self.bash("echo before\n)")).collect()
            #expect(syntax.stdoutText == "before\n" && syntax.exitCode == 2)
            #expect(syntax.stderrText.hasPrefix("bash: eval: line 2: syntax error near unexpected token `)'"), "\(syntax.stderrText)")

            // 100 KiB (more than a pipe holds) of multibyte text, quotes, backslashes and a lone
            // Latin-1 byte's worth of escapes, through a here-document: byte for byte.
            var payload = ""
            while payload.utf8.count < 100_000 { payload += "héllo ✓ 'q' \"d\" \\ $HOME `x` %s \\0 \t end\n" }
            let script = "cat <<'SANDCASTLE_EOF'\n\(payload)SANDCASTLE_EOF\nprintf '\\377' | od -An -tx1"
            let big = try await connection.spawn(Self.bash(script)).collect()
            #expect(big.exitCode == 0 && big.stdoutText == payload + " ff\n", "\(big.stdoutText.suffix(200)) \(big.stderrText)")
            let after = try await connection.spawn(Self.bash("tr '\\0' ' ' < /proc/$$/cmdline")).collect()
            #expect(Self.served(after))
        }
    }

    @Test("two calls at once both run at once, each in a bash of its own")
    func concurrentCalls() async throws {
        try await RunnerProtocolBehaviourTests.withRunner { connection, _ in
            _ = try await connection.spawn(Self.bash("mkfifo meet")).collect()
            // The reader waits for the writer: only calls that run at the same time both finish.
            async let reader = connection.spawn(Self.bash("read -r line < meet; echo got $line; tr '\\0' ' ' < /proc/$$/cmdline")).collect()
            async let writer = connection.spawn(Self.bash("echo hi > meet; tr '\\0' ' ' < /proc/$$/cmdline")).collect()
            let (read, wrote) = try await (reader, writer)
            #expect(read.stdoutText.hasPrefix("got hi\n") && read.exitCode == 0 && wrote.exitCode == 0)
            #expect(Self.served(read) && Self.served(wrote), "both found a bash started ahead")
        }
    }

    @Test("another directory or environment starts fresh, then is started ahead; a directory made anew is entered anew")
    func keys() async throws {
        try await RunnerProtocolBehaviourTests.withRunner { connection, runner in
            try await connection.makeDirectory(path: "a")
            let probe = "pwd; echo ${V-unset}; tr '\\0' ' ' < /proc/$$/cmdline"
            _ = try await connection.spawn(Self.bash(probe)).collect()
            #expect(Self.served(try await connection.spawn(Self.bash(probe)).collect()))
            let moved = try await connection.spawn(Self.bash(probe, in: "a")).collect()
            #expect(!Self.served(moved) && moved.stdoutText.hasPrefix("\(runner.workspace.path)/a\nunset\n"))
            #expect(Self.served(try await connection.spawn(Self.bash(probe, in: "a")).collect()))
            let variable = try await connection.spawn(Self.bash(probe, in: "a", environment: ["V=1"])).collect()
            #expect(!Self.served(variable) && variable.stdoutText.contains("\n1\n"))
            let again = try await connection.spawn(Self.bash(probe, in: "a", environment: ["V=1"])).collect()
            #expect(Self.served(again) && again.stdoutText.contains("\n1\n"))

            // A start-up file (BASH_ENV) is read when bash starts, so its calls always start fresh.
            _ = try await connection.writeFile(WriteFileRequest(path: "startup.sh"), bytes: Array("echo from-startup\n".utf8))
            let startup = ["BASH_ENV=\(runner.workspace.path)/startup.sh"]
            _ = try await connection.spawn(Self.bash(probe, environment: startup)).collect()
            let read = try await connection.spawn(Self.bash(probe, environment: startup)).collect()
            #expect(!Self.served(read) && read.stdoutText.hasPrefix("from-startup\n"), "\(read.stdoutText)")

            // The directory the waiting bashes started in is replaced by a new one of the same
            // name: the next call must run in the new one, as a fresh spawn would.
            _ = try await connection.spawn(SpawnRequest(arguments: ["sh", "-c", "rm -r a && mkdir a && touch a/new"])).collect()
            let remade = try await connection.spawn(Self.bash("ls; " + probe, in: "a", environment: ["V=1"])).collect()
            #expect(!Self.served(remade) && remade.stdoutText.hasPrefix("new\n\(runner.workspace.path)/a\n"), "\(remade.stdoutText)")
            // And a directory that is gone fails the spawn as it always did.
            _ = try await connection.spawn(SpawnRequest(arguments: ["rm", "-r", "a"])).collect()
            await #expect(throws: RunnerClientError.self) {
                _ = try await connection.spawn(Self.bash(probe, in: "a", environment: ["V=1"])).collect()
            }
        }
    }

    @Test("cancel and timeout end a pre-started call's process group; output beyond the cap is dropped in the sandbox")
    func cancelTimeoutAndCap() async throws {
        try await RunnerProtocolBehaviourTests.withRunner { connection, _ in
            _ = try await connection.spawn(Self.bash("true")).collect()
            let sleeper = try await connection.spawn(Self.bash("sleep 60 & echo $!; wait"))
            var events = sleeper.events.makeAsyncIterator()
            var child = ""
            while !child.hasSuffix("\n"), let event = try await events.next() {
                if case .output(.stdout, let bytes) = event { child += String(decoding: bytes, as: UTF8.self) }
            }
            try await sleeper.cancel()
            var result: ExecResult?
            while let event = try await events.next() { if case .finished(let finished) = event { result = finished } }
            #expect(result?.cancelled == true)
            let pid = child.trimmingCharacters(in: .whitespacesAndNewlines)
            let gone = try await eventually(.seconds(10)) {
                try await connection.spawn(SpawnRequest(arguments: ["sh", "-c", "kill -0 \(pid) 2>/dev/null && echo alive || echo gone"]))
                    .collect().stdoutText == "gone\n"
            }
            #expect(gone, "the background sleep \(pid) of the cancelled call survived")

            let slow = try await connection.spawn(Self.bash("echo started; sleep 30", timeoutMilliseconds: 300)).collect()
            #expect(slow.result.timedOut && slow.stdoutText == "started\n")

            let flood = try await connection.spawn(Self.bash("head -c 1000000 /dev/zero; tr '\\0' ' ' < /proc/$$/cmdline >&2", maxOutputBytes: 1000)).collect()
            #expect(flood.result.truncated && flood.stdout.count + flood.stderr.count == 1000 && flood.result.outputBytes > 1_000_000)
        }
    }

    @Test("a waiting bash killed from inside the sandbox is replaced; the call still runs")
    func killedWhileWaiting() async throws {
        try await RunnerProtocolBehaviourTests.withRunner { connection, _ in
            _ = try await connection.spawn(Self.bash("true")).collect()
            // Killed and reaped before the next call: a kill still in flight when a bash is handed
            // its script ends that call as killed, as it would end a fresh bash (runner/README.md).
            let killAndWait = """
                pids=$(pgrep -P $PPID -f '__sandcastle_[n]'); [ -n "$pids" ] && kill -KILL $pids
                for pid in $pids; do while kill -0 $pid 2>/dev/null; do sleep 0.01; done; done; echo done
                """
            let killed = try await connection.spawn(SpawnRequest(arguments: ["sh", "-c", killAndWait])).collect()
            #expect(killed.stdoutText == "done\n")
            let next = try await connection.spawn(Self.bash("echo ran; tr '\\0' ' ' < /proc/$$/cmdline")).collect()
            #expect(next.stdoutText.hasPrefix("ran\n") && next.exitCode == 0)
            let after = try await connection.spawn(Self.bash("tr '\\0' ' ' < /proc/$$/cmdline")).collect()
            #expect(Self.served(after), "bashes are started ahead again")
        }
    }
}
