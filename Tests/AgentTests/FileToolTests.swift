import Agent
import JSONValues
import Sandbox
import Testing

@Suite("Bash, Read, Write and Edit in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct FileToolTests {
    @Test("Bash: stdout and stderr interleaved as written, exit codes and timeouts noted, stdin empty, hostile commands refused")
    func bash() async throws {
        try await AgentFixture.withSandbox(environment: ["GREETING": "hello"]) { sandbox in
            let bash = BashTool()
            let mixed = try await AgentFixture.run(bash, ["command": "echo out1; echo err1 >&2; echo out2; echo err2 >&2"], in: sandbox)
            #expect(mixed.content == "out1\nerr1\nout2\nerr2\n" && !mixed.isError)

            let failing = try await AgentFixture.run(bash, ["command": "echo before; exit 3"], in: sandbox)
            #expect(failing.isError && failing.content == "before\nExit code 3")

            let slow = try await AgentFixture.run(bash, ["command": "echo started; sleep 30", "timeout": 500], in: sandbox)
            #expect(slow.isError && slow.content.contains("started") && slow.content.contains("timed out after 500 ms"))

            let unterminated = try await AgentFixture.run(bash, ["command": "printf abc"], in: sandbox)
            #expect(unterminated.content == "abc")

            // Hostile input: clear errors, nothing run half-way.
            let nul = try await AgentFixture.run(bash, ["command": "echo a\u{0}b"], in: sandbox)
            #expect(nul.isError && nul.content.contains("NUL"))
            let huge = try await AgentFixture.run(bash, ["command": .string("echo " + String(repeating: "x", count: 200_000))], in: sandbox)
            #expect(huge.isError && huge.content.contains("write the script to a file"))
            let justUnder = try await AgentFixture.run(bash, ["command": .string("echo " + String(repeating: "y", count: 100_000) + " | wc -c")], in: sandbox)
            #expect(justUnder.content == "100001\n")
            let badPath = try await AgentFixture.run(ReadTool(), ["file_path": "/etc/pass\u{0}wd"], in: sandbox)
            #expect(badPath.isError && badPath.content.contains("NUL"))
        }
    }

    @Test("Bash: a cd carries over to the agent's next call, variables do not; a vanished directory falls back")
    func bashDirectory() async throws {
        try await AgentFixture.withSandbox(environment: ["GREETING": "hello"]) { sandbox in
            let bash = BashTool()
            let directory = BashDirectory()
            _ = try await AgentFixture.run(bash, ["command": "mkdir -p sub/deeper && cd sub && export X=1"], in: sandbox, bashDirectory: directory)
            #expect(directory.current == "/workspace/sub")
            let next = try await AgentFixture.run(bash, ["command": "pwd; echo \"x=${X:-unset} $GREETING\""], in: sandbox, bashDirectory: directory)
            #expect(next.content == "/workspace/sub\nx=unset hello\n")
            let failed = try await AgentFixture.run(bash, ["command": "cd deeper; exit 4"], in: sandbox, bashDirectory: directory)
            #expect(failed.content == "Exit code 4" && directory.current == "/workspace/sub/deeper")
            let elsewhere = try await AgentFixture.run(bash, ["command": "pwd"], in: sandbox)
            #expect(elsewhere.content == "/workspace\n", "without a shared directory every call starts in the working directory")

            _ = try await AgentFixture.run(bash, ["command": "rm -rf /workspace/sub"], in: sandbox, bashDirectory: directory)
            let fallback = try await AgentFixture.run(bash, ["command": "pwd"], in: sandbox, bashDirectory: directory)
            #expect(fallback.content == "(the working directory /workspace/sub/deeper no longer exists; this command ran in /workspace)\n/workspace\n")
            #expect(directory.current == nil)

            let quiet = try await AgentFixture.run(bash, ["command": "true"], in: sandbox)
            #expect(quiet.content == "(no output)" && !quiet.isError)

            let stdin = try await AgentFixture.run(bash, ["command": "cat; echo after-eof"], in: sandbox)
            #expect(stdin.content == "after-eof\n")

            let empty = try await AgentFixture.run(bash, ["command": "  "], in: sandbox)
            #expect(empty.isError && empty.content.contains("empty"))
            let negative = try await AgentFixture.run(bash, ["command": "true", "timeout": -5], in: sandbox)
            #expect(negative.isError && negative.content.contains("positive"))
        }
    }

    @Test("Read: numbered lines, offset and limit with a note to go on, long lines cut, relative paths")
    func read() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let lines = (1...30).map { "line \($0)" }.joined(separator: "\n") + "\n"
            _ = try await sandbox.writeFile("/workspace/notes/a.txt", bytes: Array(lines.utf8))
            let read = ReadTool()

            let whole = try await AgentFixture.run(read, ["file_path": "notes/a.txt"], in: sandbox)
            #expect(whole.content.hasPrefix("     1\tline 1\n     2\tline 2\n"))
            #expect(whole.content.hasSuffix("    30\tline 30\n"))

            let slice = try await AgentFixture.run(read, ["file_path": "/workspace/notes/a.txt", "offset": 10, "limit": 3], in: sandbox)
            #expect(slice.content == "    10\tline 10\n    11\tline 11\n    12\tline 12\n[lines 10-12 shown; the file goes on: read more with offset 13]")

            let tail = try await AgentFixture.run(read, ["file_path": "/workspace/notes/a.txt", "offset": 29], in: sandbox)
            #expect(tail.content == "    29\tline 29\n    30\tline 30\n")

            let past = try await AgentFixture.run(read, ["file_path": "/workspace/notes/a.txt", "offset": 99], in: sandbox)
            #expect(past.content.contains("has 30 lines; offset 99 is past its end"))

            _ = try await sandbox.writeFile("/workspace/long.txt", bytes: Array((String(repeating: "é", count: 5000) + "\r\nshort").utf8))
            let long = try await AgentFixture.run(read, ["file_path": "/workspace/long.txt"], in: sandbox)
            let firstLine = try #require(long.content.split(separator: "\n").first)
            #expect(firstLine.hasSuffix("… [line truncated]") && firstLine.count == 7 + 2000 + 18)
            #expect(long.content.hasSuffix("     2\tshort\n"))
        }
    }

    @Test("Read: missing files, directories, binary and empty files are answered, not dumped")
    func readEdges() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let read = ReadTool()
            let missing = try await AgentFixture.run(read, ["file_path": "/workspace/nope.txt"], in: sandbox)
            #expect(missing.isError && missing.content == "File does not exist: /workspace/nope.txt")

            let directory = try await AgentFixture.run(read, ["file_path": "/workspace"], in: sandbox)
            #expect(directory.isError && directory.content.contains("is a directory"))

            _ = try await sandbox.writeFile("/workspace/blob.bin", bytes: [0x7F, 0x45, 0x4C, 0x46, 0, 0, 1, 2] + Array(repeating: 0, count: 100))
            let binary = try await AgentFixture.run(read, ["file_path": "/workspace/blob.bin"], in: sandbox)
            #expect(!binary.isError && binary.content.contains("binary file (108 bytes)"))

            _ = try await sandbox.writeFile("/workspace/empty.txt", bytes: [])
            let empty = try await AgentFixture.run(read, ["file_path": "/workspace/empty.txt"], in: sandbox)
            #expect(empty.content.contains("exists but is empty"))

            let badLimit = try await AgentFixture.run(read, ["file_path": "/workspace/empty.txt", "limit": 0], in: sandbox)
            #expect(badLimit.isError)
        }
    }

    @Test("Write creates parents and replaces; refusals of the sandbox come back as errors")
    func write() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let write = WriteTool()
            let created = try await AgentFixture.run(write, ["file_path": "deep/er/new.txt", "content": "première\n"], in: sandbox)
            #expect(!created.isError && created.content == "Wrote 10 bytes to /workspace/deep/er/new.txt")
            #expect(try await sandbox.readFileBytes("/workspace/deep/er/new.txt") == Array("première\n".utf8))

            _ = try await AgentFixture.run(write, ["file_path": "/workspace/deep/er/new.txt", "content": "v2"], in: sandbox)
            #expect(try await sandbox.readFileBytes("/workspace/deep/er/new.txt") == Array("v2".utf8))

            let readOnly = try await AgentFixture.run(write, ["file_path": "/usr/local/x.txt", "content": "x"], in: sandbox)
            #expect(readOnly.isError && readOnly.content.contains("/usr/local/x.txt"))
            let onDirectory = try await AgentFixture.run(write, ["file_path": "/workspace/deep", "content": "x"], in: sandbox)
            #expect(onDirectory.isError)
        }
    }

    @Test("Edit replaces exactly one occurrence, all with replace_all, and refuses ambiguity, absence and no-ops")
    func edit() async throws {
        try await AgentFixture.withSandbox { sandbox in
            let edit = EditTool()
            let path = "/workspace/code.py"
            _ = try await sandbox.writeFile(path, bytes: Array("def f():\n    return 1\n\ndef g():\n    return 1\n# ünïcode\n".utf8))

            let ambiguous = try await AgentFixture.run(edit, ["file_path": .string(path), "old_string": "return 1", "new_string": "return 2"], in: sandbox)
            #expect(ambiguous.isError && ambiguous.content.contains("occurs 2 times"))

            let unique = try await AgentFixture.run(
                edit, ["file_path": .string(path), "old_string": "def g():\n    return 1", "new_string": "def g():\n    return 3"], in: sandbox)
            #expect(!unique.isError && unique.content.contains("1 replacement"))
            let all = try await AgentFixture.run(
                edit, ["file_path": "code.py", "old_string": "return", "new_string": "yield", "replace_all": true], in: sandbox)
            #expect(all.content.contains("2 replacements"))
            let unicode = try await AgentFixture.run(edit, ["file_path": .string(path), "old_string": "ünïcode", "new_string": "done"], in: sandbox)
            #expect(!unicode.isError)
            #expect(String(decoding: try await sandbox.readFileBytes(path), as: UTF8.self) == "def f():\n    yield 1\n\ndef g():\n    yield 3\n# done\n")

            let absent = try await AgentFixture.run(edit, ["file_path": .string(path), "old_string": "return 9", "new_string": "x"], in: sandbox)
            #expect(absent.isError && absent.content.contains("not found"))
            let same = try await AgentFixture.run(edit, ["file_path": .string(path), "old_string": "yield", "new_string": "yield"], in: sandbox)
            #expect(same.isError && same.content.contains("the same"))
            let missing = try await AgentFixture.run(edit, ["file_path": "/workspace/none.py", "old_string": "a", "new_string": "b"], in: sandbox)
            #expect(missing.isError && missing.content.contains("does not exist"))

            let create = try await AgentFixture.run(edit, ["file_path": "/workspace/made.txt", "old_string": "", "new_string": "fresh"], in: sandbox)
            #expect(!create.isError)
            #expect(try await sandbox.readFileBytes("/workspace/made.txt") == Array("fresh".utf8))
            let overwrite = try await AgentFixture.run(edit, ["file_path": "/workspace/made.txt", "old_string": "", "new_string": "x"], in: sandbox)
            #expect(overwrite.isError && overwrite.content.contains("already exists"))
        }
    }
}
