import Foundation
import Sandbox
import SandboxDocker
import SandboxE2B
import Testing

/// The sandbox backends the conformance suites run against, both on the real engine.
///
/// The suites live with the server's tests because the E2B backend needs a live
/// `sandcastle serve` to talk to: its E2B-compatible API is the only E2B here.
enum BackendUnderTest: String, CaseIterable, CustomTestStringConvertible, Sendable {
    /// `DockerSandboxBackend`: the runner channel straight to the container.
    case docker
    /// `E2BSandboxBackend` over HTTP, control plane and envd, against `sandcastle serve`.
    case e2b

    var testDescription: String { rawValue }

    /// Whether shell state (cd, exports, functions) carries from one `execute` to the next.
    /// E2B runs each command line in its own `bash -l -c`, as its SDK does.
    var hasPersistentShell: Bool { self == .docker }

    /// Where relative paths land: the workspace on Docker, the user's home on E2B (the same
    /// folder when the E2B side is `sandcastle serve`).
    var home: String { "/workspace" }

    /// Runs `body` with a fresh sandbox and destroys it afterwards, also when `body` throws; on
    /// E2B the server is started for the test and checked for leftovers when it stops.
    func withSandbox<T>(
        _ spec: SandboxSpec = SandboxSpec(image: "base"),
        _ body: (any SandboxInstance) async throws -> T
    ) async throws -> T {
        switch self {
        case .docker:
            return try await Self.using(try await DockerSandboxBackend.fromEnvironment(), spec, body)
        case .e2b:
            return try await DockerServerFixture.with { live in
                try await Self.using(try E2BClientBackendTests.backend(port: live.port), spec, body)
            }
        }
    }

    /// Runs `body` with the backend itself, for tests of creation and destruction.
    func withBackend<T>(_ body: (any SandboxBackend) async throws -> T) async throws -> T {
        switch self {
        case .docker:
            return try await body(try await DockerSandboxBackend.fromEnvironment())
        case .e2b:
            return try await DockerServerFixture.with { live in
                try await body(try E2BClientBackendTests.backend(port: live.port))
            }
        }
    }

    private static func using<T>(
        _ backend: any SandboxBackend, _ spec: SandboxSpec,
        _ body: (any SandboxInstance) async throws -> T
    ) async throws -> T {
        try await backend.create(spec).use { try await body($0) }
    }
}
