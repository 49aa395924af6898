// swift-tools-version: 6.0
import PackageDescription

// Module layering (a module depends only on the ones above it):
//   CCurl, RunnerProtocol                         leaves
//   HTTPTransport        libcurl client: Unix socket, TCP/TLS, streams, upgrades
//   DockerEngine         typed Docker Engine API client
//   RunnerClient         host side of the runner channel
//   Sandbox              sandbox protocol, Docker backend, isolation profiles, images
//   sandcastle           the CLI
// The runner (PID 1 inside every sandbox) lives under runner/ and depends only on
// RunnerProtocol and its own C shim, so it links without Foundation.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "sandcastle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sandcastle", targets: ["sandcastle"]),
        .executable(name: "sandcastle-runner", targets: ["sandcastle-runner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "HTTPTransport", dependencies: ["CCurl"], swiftSettings: strict),
        .target(name: "DockerEngine", dependencies: ["HTTPTransport"], swiftSettings: strict),
        .target(name: "RunnerProtocol", swiftSettings: strict),
        .target(name: "RunnerClient", dependencies: ["RunnerProtocol"], swiftSettings: strict),
        .target(name: "Sandbox", dependencies: ["DockerEngine", "RunnerClient", "RunnerProtocol"],
                resources: [], swiftSettings: strict),
        .executableTarget(name: "sandcastle", dependencies: [
            "Sandbox", "DockerEngine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        .target(name: "CRunnerSupport", path: "runner/Sources/CRunnerSupport"),
        .executableTarget(name: "sandcastle-runner", dependencies: ["RunnerProtocol", "CRunnerSupport"],
                          path: "runner/Sources/sandcastle-runner", swiftSettings: strict),

        .testTarget(name: "RunnerProtocolTests", dependencies: ["RunnerProtocol"]),
        .testTarget(name: "RunnerTests", dependencies: ["RunnerClient", "RunnerProtocol"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport"]),
        .testTarget(name: "DockerEngineTests", dependencies: ["DockerEngine"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "DockerEngine", "RunnerClient"]),
    ]
)
