import Crypto
import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
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
    static func with<T>(
        _ spec: SandboxSpec = SandboxSpec(image: image),
        _ body: (DockerSandbox) async throws -> T
    ) async throws -> T {
        try await backend().createSandbox(spec).use(body)
    }
}

extension CollectedOutput {
    var text: String { stdoutText }
    var trimmed: String { stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test(
        "FIPS 180-4 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ])
    func vectors(input: String, digest: String) {
        #expect(SHA256.hash(data: Array(input.utf8)).hex == digest)
    }

    @Test("incremental updates equal one update")
    func incremental() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var split = SHA256()
        split.update(data: bytes[0..<1])
        split.update(data: bytes[1..<130])
        split.update(data: bytes[130...])
        #expect(split.finalize().hex == SHA256.hash(data: bytes).hex)
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256.hash(data: million).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
