import Foundation
import RunnerClient
import RunnerProtocol
import Sandbox
import Testing

@Suite("Files in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct FileTests {
    @Test("a 100 MiB binary file round-trips byte-exact")
    func largeRoundTrip() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let size = 100 * 1024 * 1024
            let payload = pseudoRandomBytes(count: size, seed: 42)
            let expectedDigest = await digestYielding(payload)

            let info = try await sandbox.writeFile(WriteFileRequest(path: "big.bin"), contents: ChunkedBytes(payload))
            #expect(info.size == UInt64(size))
            #expect(info.path == "/workspace/big.bin")

            // The sandbox's own sha256sum checks what landed on disk, independently of our hasher.
            let inside = try await sandbox.run("sha256sum big.bin | cut -d' ' -f1")
            #expect(inside.trimmed == expectedDigest)

            let download = try await sandbox.readFile(ReadFileRequest(path: "big.bin"))
            #expect(download.info.size == UInt64(size))
            var receivedBytes = 0
            var largestChunk = 0
            var mismatchAt: Int?
            for try await chunk in download.chunks {
                // Compare in place against what was sent: the first differing offset is the useful failure.
                let matches = receivedBytes + chunk.count <= size && chunk.withUnsafeBytes { received in
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
            #expect(largestChunk <= RunnerWire.chunkSize, "content arrives in chunks, not whole")
        }
    }

    @Test("stat, list, mkdir, move and remove")
    func fileOperations() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            try await sandbox.makeDirectory(path: "project/src", parents: true)
            _ = try await sandbox.writeFile("project/src/main.py", bytes: Array("print('hi')\n".utf8), mode: 0o600)
            _ = try await sandbox.writeFile("project/README", bytes: Array("readme".utf8))
            let entries = try await sandbox.list(path: "project")
            #expect(entries.map(\.name) == ["README", "src"])
            #expect(entries.map(\.kind) == [.file, .directory])
            let info = try await sandbox.stat(path: "project/src/main.py")
            #expect(info.size == 12)
            #expect(info.mode == 0o600)
            try await sandbox.move(from: "project/README", to: "project/README.md", overwrite: false)
            #expect(try await sandbox.readFileBytes("project/README.md") == Array("readme".utf8))
            try await sandbox.remove(path: "project", recursive: true)
            await #expect(throws: SandboxError.self) { try await sandbox.stat(path: "project") }
        }
    }

    @Test("file errors are clear: not found, is a directory, permission denied, read-only root")
    func fileErrors() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let missing = await #expect(throws: SandboxError.self) { try await sandbox.readFileBytes("nope.txt") }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("nope.txt") == true)

            try await sandbox.makeDirectory(path: "adir", parents: false)
            let directory = await #expect(throws: SandboxError.self) { try await sandbox.readFileBytes("adir") }
            #expect(directory?.code == .wrongFileKind)

            let rootOwned = await #expect(throws: SandboxError.self) {
                try await sandbox.writeFile("/etc/sandcastle", bytes: [1, 2, 3])
            }
            #expect(rootOwned?.code == .permissionDenied)

            let shadow = await #expect(throws: SandboxError.self) { try await sandbox.readFileBytes("/etc/shadow") }
            #expect(shadow?.code == .permissionDenied)
        }
    }

    @Test("three operations in flight at once on one sandbox")
    func concurrentOperations() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let payload = pseudoRandomBytes(count: 8 * 1024 * 1024, seed: 7)
            let start = ContinuousClock.now
            async let slow = sandbox.run("sleep 1; echo slow")
            async let upload = sandbox.writeFile(WriteFileRequest(path: "concurrent.bin"), contents: ChunkedBytes(payload))
            async let spawned = sandbox.spawn(SpawnRequest(arguments: ["sh", "-c", "sleep 1; echo spawned; echo err >&2"])).collect()
            let (slowOutput, uploaded, spawnedOutput) = try await (slow, upload, spawned)
            let elapsed = ContinuousClock.now - start
            #expect(slowOutput.text == "slow\n")
            #expect(uploaded.size == UInt64(payload.count))
            #expect(spawnedOutput.stdoutText == "spawned\n")
            #expect(spawnedOutput.stderrText == "err\n")
            #expect(elapsed < .seconds(1.9), "the two one-second operations overlapped (took \(elapsed))")
            #expect(try await sandbox.readFileBytes("concurrent.bin") == payload)
        }
    }
}
