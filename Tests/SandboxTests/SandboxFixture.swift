import DockerEngine
import Foundation
import RunnerClient
import RunnerProtocol
import Sandbox
import Testing

/// Real-engine fixtures. There is no skip path: when no engine answers, every test
/// that needs one fails with the engine's error.
enum SandboxFixture {
    /// The image the behaviour tests run in (built by `sandcastle images build`).
    static let image = "base"

    static func backend() async throws -> DockerSandboxBackend {
        try await DockerSandboxBackend.fromEnvironment()
    }

    /// Runs `body` with a fresh sandbox and destroys it afterwards, also when `body` throws.
    static func with<T>(_ spec: SandboxSpec = SandboxSpec(image: image),
                        _ body: (DockerSandbox) async throws -> T) async throws -> T {
        let backend = try await backend()
        let sandbox = try await backend.createSandbox(spec)
        do {
            let result = try await body(sandbox)
            try await sandbox.destroy()
            return result
        } catch {
            try? await sandbox.destroy()
            throw error
        }
    }
}

extension CollectedOutput {
    var text: String { stdoutText }
    var trimmed: String { stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) }
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

/// SHA-256 of a large buffer, yielding between mebibytes so other tests' tasks still run.
func digestYielding(_ bytes: [UInt8]) async -> String {
    var hasher = SHA256()
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + (1 << 20), bytes.count)
        hasher.update(Array(bytes[offset..<end]))
        offset = end
        await Task.yield()
    }
    return hasher.finalizeHex()
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("FIPS 180-4 test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func vectors(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test("incremental updates equal one update")
    func incremental() {
        let bytes = pseudoRandomBytes(count: 1000, seed: 3)
        var split = SHA256()
        split.update(Array(bytes[0..<1]))
        split.update(Array(bytes[1..<130]))
        split.update(Array(bytes[130...]))
        #expect(split.finalizeHex() == SHA256.hex(bytes))
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hex(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
