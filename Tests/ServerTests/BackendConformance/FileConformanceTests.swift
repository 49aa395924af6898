import Foundation
import Sandbox
import TestSupport
import Testing

/// Files in and out of a sandbox, the same checks on every backend.
@Suite("Backend conformance: files", .serialized, .timeLimit(.minutes(4)))
struct FileConformanceTests {
    @Test("a NUL byte in a path, argument or variable is refused, never cut", arguments: BackendUnderTest.allCases)
    func nulBytesAreRefused(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let attempts: [(String, () async throws -> Void)] = [
                ("write", { _ = try await sandbox.writeFile("a\u{0}b", bytes: [1]) }),
                ("stat", { _ = try await sandbox.stat(path: "a\u{0}b") }),
                ("mkdir", { try await sandbox.makeDirectory(path: "x\u{0}y", parents: true) }),
                ("move", { try await sandbox.move(from: "a", to: "b\u{0}c", overwrite: false) }),
                ("argv", { _ = try await sandbox.run(.arguments(["echo", "a\u{0}b"])).collect() }),
                ("env", { _ = try await sandbox.run(.arguments(["env"], environment: ["A": "1\u{0}2"])).collect() }),
            ]
            for (what, attempt) in attempts {
                let error = await #expect(throws: SandboxError.self, "\(what)") { try await attempt() }
                #expect(error?.code == .invalidArgument, "\(what): \(error?.message ?? "")")
            }
            let listing = try await sandbox.list(path: backend.home)
            #expect(!listing.contains { $0.name == "a" || $0.name == "x" }, "nothing was written under a cut name")
        }
    }

    @Test("a 100 MiB binary file round-trips byte-exact, streamed both ways", arguments: BackendUnderTest.allCases)
    func largeRoundTrip(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let size = 100 * 1024 * 1024
            // Built on a thread of its own, and hashed by the host's sha256sum rather than our debug-built
            // SHA-256 (tens of CPU-seconds here): the cooperative pool has two threads on this machine,
            // and every other test running meanwhile needs them.
            let payload = try await offThePool { pseudoRandomBytes(count: size, seed: 42) }
            let expectedDigest = try await hostSHA256(payload)

            let info = try await sandbox.writeFile(FileWrite(path: "big.bin"), contents: ChunkedBytes(payload))
            #expect(info.size == UInt64(size))
            #expect(info.path == "\(backend.home)/big.bin")

            // The sandbox's own sha256sum checks what landed on disk, independently of our hasher.
            let inside = try await sandbox.run("sha256sum big.bin | cut -d' ' -f1")
            #expect(inside.trimmed == expectedDigest)

            let download = try await sandbox.readFile(FileRead(path: "big.bin"))
            #expect(download.info.size == UInt64(size))
            var receivedBytes = 0
            var largestChunk = 0
            var mismatchAt: Int?
            for try await chunk in download.chunks {
                // Compare in place against what was sent: the first differing offset is the useful failure.
                let matches =
                    receivedBytes + chunk.count <= size
                    && chunk.withUnsafeBytes { received in
                        payload.withUnsafeBytes { sent in
                            guard let receivedBase = received.baseAddress, let sentBase = sent.baseAddress else { return chunk.isEmpty }
                            return memcmp(receivedBase, sentBase + receivedBytes, chunk.count) == 0
                        }
                    }
                if !matches && mismatchAt == nil { mismatchAt = receivedBytes }
                receivedBytes += chunk.count
                largestChunk = max(largestChunk, chunk.count)
            }
            #expect(receivedBytes == size)
            #expect(mismatchAt == nil, "downloaded bytes differ from the upload at offset \(mismatchAt ?? -1)")
            #expect(largestChunk <= 1 << 20, "content arrives in chunks, not whole (largest \(largestChunk) bytes)")
        }
    }

    @Test("stat, list, mkdir, move and remove", arguments: BackendUnderTest.allCases)
    func fileOperations(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            try await sandbox.makeDirectory(path: "project/src", parents: true)
            try await sandbox.makeDirectory(path: "project/src", parents: true) // like mkdir -p: no error
            _ = try await sandbox.writeFile("project/src/main.py", bytes: Array("print('hi')\n".utf8), mode: 0o600)
            _ = try await sandbox.writeFile("project/README", bytes: Array("readme".utf8))
            let entries = try await sandbox.list(path: "project").sorted { $0.name < $1.name }
            #expect(entries.map(\.name) == ["README", "src"])
            #expect(entries.map(\.kind) == [.file, .directory])
            #expect(entries.map(\.path) == ["\(backend.home)/project/README", "\(backend.home)/project/src"])
            let info = try await sandbox.stat(path: "project/src/main.py")
            #expect(info.size == 12)
            #expect(info.mode == 0o600)
            #expect(info.kind == .file)
            try await sandbox.move(from: "project/README", to: "project/README.md", overwrite: false)
            #expect(try await sandbox.readFileBytes("project/README.md") == Array("readme".utf8))
            _ = try await sandbox.writeFile("project/other", bytes: [1])
            let refused = await #expect(throws: SandboxError.self) {
                try await sandbox.move(from: "project/other", to: "project/README.md", overwrite: false)
            }
            #expect(refused?.code == .alreadyExists)
            let notEmpty = await #expect(throws: SandboxError.self) { try await sandbox.remove(path: "project", recursive: false) }
            #expect(notEmpty?.code == .invalidArgument, "\(notEmpty?.code.description ?? ""): \(notEmpty?.message ?? "")")
            try await sandbox.remove(path: "project", recursive: true)
            let gone = await #expect(throws: SandboxError.self) { try await sandbox.stat(path: "project") }
            #expect(gone?.code == .notFound)
        }
    }

    @Test("file errors are clear: not found, is a directory, permission denied, read-only root", arguments: BackendUnderTest.allCases)
    func fileErrors(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let missing = await #expect(throws: SandboxError.self) { try await sandbox.readFileBytes("nope.txt") }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("nope.txt") == true, "\(missing?.message ?? "")")

            try await sandbox.makeDirectory(path: "adir", parents: false)
            let directory = await #expect(throws: SandboxError.self) { try await sandbox.readFileBytes("adir") }
            #expect(directory?.code == .wrongFileKind, "\(directory?.code.description ?? ""): \(directory?.message ?? "")")

            let rootOwned = await #expect(throws: SandboxError.self) {
                try await sandbox.writeFile("/etc/sandcastle", bytes: [1, 2, 3])
            }
            #expect(rootOwned?.code == .permissionDenied, "\(rootOwned?.code.description ?? ""): \(rootOwned?.message ?? "")")

            let shadow = await #expect(throws: SandboxError.self) { try await sandbox.readFileBytes("/etc/shadow") }
            #expect(shadow?.code == .permissionDenied, "\(shadow?.code.description ?? ""): \(shadow?.message ?? "")")
        }
    }

    @Test("three operations in flight at once on one sandbox", arguments: BackendUnderTest.allCases)
    func concurrentOperations(backend: BackendUnderTest) async throws {
        try await backend.withSandbox { (sandbox: any SandboxInstance) async throws in
            let payload = try await offThePool { pseudoRandomBytes(count: 8 * 1024 * 1024, seed: 7) }
            // Each one-second command reports when it started and ended by the sandbox's clock, so the
            // overlap is proven however slowly a loaded machine got the three going.
            let timed = #"s=$(date +%s%N); sleep 1; echo "$s $(date +%s%N)""#
            async let slow = sandbox.run(timed)
            async let upload = sandbox.writeFile(FileWrite(path: "concurrent.bin"), contents: ChunkedBytes(payload))
            async let spawned = sandbox.run(arguments: ["sh", "-c", timed + "; echo err >&2"])
            let (slowOutput, uploaded, spawnedOutput) = try await (slow, upload, spawned)
            #expect(uploaded.size == UInt64(payload.count))
            #expect(spawnedOutput.stderrText == "err\n")
            func interval(_ text: String) -> ClosedRange<Int>? {
                let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
                guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
                return bounds[0]...bounds[1]
            }
            let slowSpan = try #require(interval(slowOutput.text), "\(slowOutput.text)")
            let spawnedSpan = try #require(interval(spawnedOutput.stdoutText), "\(spawnedOutput.stdoutText)")
            #expect(slowSpan.overlaps(spawnedSpan), "the two one-second commands ran one after the other: \(slowSpan), \(spawnedSpan)")
            #expect(try await sandbox.readFileBytes("concurrent.bin") == payload)
        }
    }
}

/// Deterministic pseudo-random bytes (xorshift), so a failure can be reproduced.
/// Filled a 64-bit word at a time: this runs in debug builds, on the shared cooperative pool.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed == 0 ? 0x9E3779B97F4A7C15 : seed
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { buffer in
        let words = count / 8
        let wordBuffer = buffer.bindMemory(to: UInt64.self)
        for index in 0..<words {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            wordBuffer[index] = state
        }
        for index in (words * 8)..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            buffer[index] = UInt8(truncatingIfNeeded: state)
        }
    }
    return bytes
}

/// SHA-256 of `bytes` by the host's `sha256sum` (coreutils), at native speed.
func hostSHA256(_ bytes: [UInt8]) async throws -> String {
    let digest = try await runChild("/usr/bin/sha256sum", input: Data(bytes), includeStandardError: false)
    return digest.text.split(separator: " ").first.map(String.init) ?? ""
}
