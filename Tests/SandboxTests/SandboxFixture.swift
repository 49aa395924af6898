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
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed == 0 ? 0x9E3779B97F4A7C15 : seed
    var bytes = [UInt8](repeating: 0, count: count)
    var index = 0
    while index < count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        var word = state
        for _ in 0..<8 where index < count {
            bytes[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            index += 1
        }
    }
    return bytes
}
