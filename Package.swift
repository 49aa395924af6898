// swift-tools-version: 6.1
import PackageDescription

// Module layering (a module depends only on the ones above it):
//   CCurl, RunnerProtocol                         leaves
//   HTTPTransport        libcurl client: Unix socket, TCP/TLS, streams, upgrades
//   DockerEngine         typed Docker Engine API client
//   RunnerClient         host side of the runner channel
//   CSeccomp, Seccomp    libseccomp shim; seccomp profile model, validation, BPF, diff
//   Sandbox              sandbox protocol with its own command/process/file types, shared workspaces,
//                        warm pool, isolation profiles (no Docker, no runner wire format)
//   SandboxDocker        the Docker backend: hardened containers, workspace volumes, image builds;
//                        the only host module that speaks the runner protocol (RunnerClient)
//   SandboxE2B           the E2B backend: control plane + envd over HTTPS
//   ProfileAudit         `profile audit` (static report) and `profile verify` (live probes on Docker)
//   JSONValues           JSON as a value, shared by workflows, model providers and tools
//   Suggestions          edit distance for "did you mean" (workflow files, the models file, model names)
//   Schedules            cron expressions in a time zone: parsing, next slots across DST, catch-up (Foundation only)
//   JSONSchema           JSON Schema validation (draft 2020-12, local $ref) and step-output parsing
//   Resilience           circuit breakers and backoff (backend routing, provider failover)
//   Guardrails           PII detection and secret scrubbing (issue 15): the privacy router's entities
//   ModelProviders       Anthropic and OpenAI-compatible clients, models file, retries, failover
//   Webhooks             signed, SSRF-safe outbound webhooks: callback URLs checked and pinned to
//                        their resolved addresses, Sandcastle's body, HMAC signature, retries, records
//   CRE2, Guardrails     Debian's RE2 behind a tiny C API; linear-time regexes, PII detection, the secret
//                        scrubber (Foundation and CRE2 only)
//   ProviderDouble       a local server speaking both provider protocols from scripts (tests, bench, demo)
//   Agent                the agent loop on the host: model turns, Claude Code's tools run in the sandbox,
//                        subagents, cancellation, the structured-output seam, MCP servers (stdio in the
//                        sandbox, Streamable HTTP from the host over HTTPTransport) (no Docker, no engine)
//   CSQLite, Store       system libsqlite3 shim; SQLite persistence, migrations, run repository
//   Workflow             workflow YAML model, validation, templates, expressions, DAG (Yams only)
//   Engine               workflow engine over any sandbox backend (no Docker)
//   Benchmarks           what `sandcastle bench` measures of the engine (no-op sandboxes) and of agents
//                        (the loop and agent steps against the provider double, timed at the client)
//   EngineService        the engine as a library service: settings, assembly, run control, queries
//   Orchestrator         what `serve` does with workflows: the catalog of saved workflows and their
//                        versions, the durable run queue, run queries and controls for the HTTP API,
//                        the scheduler (each schedule slot fires one run, also across restarts)
//   SandcastleClient     a client of a remote Sandcastle server's /api (ours or Sandcastle 0.47): typed calls,
//                        its envelope and errors, the run stream followed with Last-Event-ID (the CLI's remote mode)
//   OneShotAgent         Sandstorm's one-shot agent (`sandcastle agent`, `POST /query`): a fresh sandbox,
//                        files in, one agent loop, Sandstorm's messages out, the sandbox destroyed
//   ServerCore           the HTTP service's core: SandboxService actor, ServerError, configuration, auth, metrics
//   ServerCompat         E2B (control plane + envd), Sandkasten and Sandstorm (/query) APIs over the same service,
//                        and Sandcastle's /api (workflows and runs) over the Orchestrator
//   Dashboard            the dashboard under /ui: pages from Mustache templates, the session sign-in,
//                        live HTML fragments over SSE, the DAG/timeline/charts laid out in Swift as SVG
//   Server               `sandcastle serve`: the app wired together, native controllers, /openapi.json
//   sandcastle           the CLI
// The runner (PID 1 inside every sandbox) lives under runner/ and depends only on
// RunnerProtocol and its own C shim, so it links without Foundation.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
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
        // 6.x over 5.0.1: same build time here, but its Mark/Resolver are Sendable and it
        // imports libyaml internally, so strict-concurrency code using it stays warning-free.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The server: Hummingbird 2 (its router, middleware, SSE via streamed bodies) and its
        // WebSocket upgrade for the terminal; swift-log is what Hummingbird logs through.
        // No traits: swift-configuration and the Foundation-only form coders are build minutes we don't use.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // SHA-256 now, HMAC and AES-GCM next: vetted primitives instead of our own. On Linux it
        // compiles BoringSSL's C sources, the one large cost of this list (see the commit log).
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // `/metrics`: swift-metrics objects where the work happens, reported into a Prometheus
        // registry per server. swift-metrics and swift-atomics are already built for Hummingbird;
        // swift-prometheus is eight files.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already built for Hummingbird; named because the connection guard (Server/Connections)
        // is a pair of NIO channel handlers around NIO's HTTP/1 decoder.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // The dashboard's pages: Mustache templates rendered on the server (HTML-escaped by
        // default, partials and inheritance for the layout). No dependencies of its own.
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Already built for Hummingbird; named so an endless stream (the dashboard's live pages)
        // can end itself when the server shuts down instead of holding the shutdown up.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
            providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        // Google's RE2 (Debian's libre2-dev) behind a four-function C API: regexes that run in time
        // linear in the input, whatever the pattern. C++ only here; the runner never links it.
        .target(name: "CRE2", path: "Sources/CRE2", linkerSettings: [.linkedLibrary("re2")]),
        // Issue 15's guardrails: linear-time regexes (CRE2), the PII detector and the always-on
        // secret scrubber, hand-written byte scanners. Below the store, so what is stored is
        // scrubbed by the store itself, and below everything else that writes or sends.
        .target(name: "Guardrails", dependencies: ["CRE2"], swiftSettings: strict),
        // A thin layer of our own over the system libsqlite3 instead of GRDB: far fewer build minutes.
        .target(
            name: "Store", dependencies: ["CSQLite", "Guardrails", "JSONValues", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),
        .target(name: "Seccomp", dependencies: ["CSeccomp"], swiftSettings: strict),
        .target(name: "HTTPTransport", dependencies: ["CCurl"], swiftSettings: strict),
        .target(name: "DockerEngine", dependencies: ["HTTPTransport"], swiftSettings: strict),
        .target(name: "RunnerProtocol", swiftSettings: strict),
        // JSON as a value (workflow inputs and outputs, tool inputs, JSON Schemas): below both
        // the workflow model and the model providers, which share it without knowing each other.
        .target(name: "JSONValues", swiftSettings: strict),
        // "Did you mean": shared by the workflow parser and the models file, which know nothing of each other.
        .target(name: "Suggestions", swiftSettings: strict),
        // JSON Schema validation of structured step outputs and tool inputs, and Sandcastle's rule
        // for turning a model's answer into a step output: only JSON values, no other dependency.
        .target(name: "JSONSchema", dependencies: ["JSONValues"], swiftSettings: strict),
        // Cron time arithmetic for schedules (issue 14 §4): parsing, descriptions, next slots in a
        // time zone across DST, the catch-up rule. Pure: the server's scheduler and store sit on top.
        .target(name: "Schedules", swiftSettings: strict),
        // Circuit breakers and backoff, shared by backend routing and model-provider failover.
        .target(name: "Resilience", swiftSettings: strict),
        .target(name: "RunnerClient", dependencies: ["RunnerProtocol"], swiftSettings: strict),
        .target(
            name: "Sandbox", dependencies: ["Seccomp", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "SandboxDocker",
            dependencies: [
                "Sandbox", "DockerEngine", "HTTPTransport", "RunnerClient", "RunnerProtocol",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(
            name: "SandboxE2B", dependencies: ["Sandbox", "HTTPTransport"],
            swiftSettings: strict),
        // Model providers (Anthropic Messages, OpenAI-compatible Chat Completions) over our libcurl
        // transport, the models file, retries and failover: what agent steps call, from the host.
        .target(
            name: "ModelProviders",
            dependencies: [
                "HTTPTransport", "JSONValues", "Resilience", "Suggestions", "Guardrails", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // Outbound webhooks (run ends, approvals): the callback URL checked against the SSRF rules
        // once, the connection pinned to the checked address through HTTPTransport, Sandcastle's
        // body signed with HMAC-SHA256, retries, and a record of each delivery for the store.
        .target(
            name: "Webhooks",
            dependencies: ["HTTPTransport", "JSONValues", "Resilience", "Guardrails", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // A stand-in model provider speaking both wire protocols from scripts, on Hummingbird. It
        // ships in the binary (`sandcastle provider-double`, `bench agent`, the demo) and knows
        // nothing of our clients, so it can test them.
        .target(
            name: "ProviderDouble",
            dependencies: [
                "JSONValues", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // The agent loop: model turns through any ModelProvider, tools executed inside a sandbox
        // through the Sandbox protocol only (no Docker, no runner wire format, no engine).
        .target(name: "Agent", dependencies: ["ModelProviders", "Sandbox", "JSONValues", "JSONSchema", "HTTPTransport"], swiftSettings: strict),
        // Workflow stays free of Docker and the sandbox so it is unit-testable on its own.
        .target(
            name: "Workflow", dependencies: ["JSONValues", "Suggestions", "Guardrails", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(
            name: "ProfileAudit",
            dependencies: [
                "Sandbox", "SandboxDocker", "Seccomp", "DockerEngine",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // The engine runs workflows on any sandbox backend and persists every state change.
        .target(
            name: "Engine",
            dependencies: [
                "Workflow", "Store", "Sandbox", "Resilience", "ModelProviders", "JSONSchema", "Agent", "Guardrails",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // Measurements `sandcastle bench` runs (and the tests run small): kept out of the engine itself.
        // The agent benchmarks reach the provider double through the real model stack.
        .target(
            name: "Benchmarks",
            dependencies: [
                "Engine", "Workflow", "Store", "Sandbox", "Agent", "ModelProviders", "ProviderDouble", "JSONValues", "Guardrails",
            ],
            swiftSettings: strict),
        // What the CLI and the server call to run and steer workflows: the only way in.
        .target(
            name: "EngineService",
            dependencies: [
                "Engine", "Workflow", "Store", "Sandbox", "SandboxDocker", "SandboxE2B", "Resilience", "ModelProviders", "Guardrails", "JSONValues",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // The server's workflows: catalog with versions, the durable run queue, the scheduler (no HTTP here).
        .target(
            name: "Orchestrator",
            dependencies: [
                "EngineService", "Engine", "Workflow", "Store", "JSONValues", "Webhooks", "Schedules", "Guardrails",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // A client of a Sandcastle server's `/api` for the CLI's remote mode (`--url`): typed calls
        // over our libcurl transport, the SSE decoder of the model providers for the run stream.
        .target(
            name: "SandcastleClient", dependencies: ["HTTPTransport", "JSONValues", "ModelProviders"],
            swiftSettings: strict),
        // Sandstorm's one-shot agent, shared by `sandcastle agent` and `POST /query`: the session
        // (sandbox in, files in, one agent loop, sandbox out), Sandstorm's message shapes,
        // sandstorm.json. Beside EngineService, not in it: no run, store or engine is involved,
        // and the sandboxes come through a seam (a backend for the CLI, the server's service).
        .target(
            name: "OneShotAgent",
            dependencies: ["Agent", "ModelProviders", "JSONSchema", "JSONValues", "Sandbox", "Guardrails"],
            swiftSettings: strict),
        // The HTTP service's core: the SandboxService actor over a sandbox provisioner and host,
        // its errors (one boundary: ServerError.from), configuration, auth, metrics, HTTP helpers.
        .target(
            name: "ServerCore",
            dependencies: [
                "EngineService", "Sandbox", "Store", "Guardrails",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ], swiftSettings: strict),
        // Other projects' APIs over the same service, for their unmodified SDKs: E2B's control
        // plane and envd (Connect JSON), Sandkasten's sessions, and Sandstorm's `/query`.
        .target(
            name: "ServerCompat",
            dependencies: [
                "ServerCore", "Sandbox", "SandboxE2B", "OneShotAgent", "ModelProviders", "Agent", "JSONValues", "Orchestrator",
                "EngineService", "Engine", "Store", "Workflow", "Schedules", "Guardrails",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),
        // The dashboard under /ui (issue 16): pages rendered on the server from Mustache templates,
        // a session cookie after one sign-in, live updates over SSE, SVG drawings laid out in Swift.
        .target(
            name: "Dashboard",
            dependencies: [
                "ServerCore", "Orchestrator", "EngineService", "Engine", "Store", "Workflow", "JSONValues", "Schedules", "Guardrails",
                "Sandbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")], swiftSettings: strict),
        // `sandcastle serve`: the app wired together (App+build), the native controllers, /openapi.json.
        .target(
            name: "Server",
            dependencies: [
                "ServerCore", "ServerCompat", "Dashboard", "EngineService", "Orchestrator", "Sandbox", "SandboxDocker", "Store", "ModelProviders",
                "OneShotAgent",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ], swiftSettings: strict),
        .executableTarget(
            name: "sandcastle",
            dependencies: [
                "Dashboard",
                "EngineService", "Orchestrator", "Benchmarks", "Sandbox", "SandboxDocker", "SandboxE2B", "DockerEngine", "ProfileAudit", "Seccomp", "Workflow",
                "Engine", "Server", "ServerCore", "HTTPTransport", "ProviderDouble", "OneShotAgent", "ModelProviders", "JSONValues", "Schedules",
                "SandcastleClient", "Guardrails", "Store", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strict),

        .target(name: "CRunnerSupport", path: "runner/Sources/CRunnerSupport"),
        .executableTarget(
            name: "sandcastle-runner", dependencies: ["RunnerProtocol", "CRunnerSupport"],
            path: "runner/Sources/sandcastle-runner", swiftSettings: strict),

        // Helpers shared by the test targets (running children off the cooperative pool).
        .target(name: "TestSupport", dependencies: ["HTTPTransport"], path: "Tests/TestSupport"),
        .testTarget(name: "RunnerProtocolTests", dependencies: ["RunnerProtocol"]),
        .testTarget(name: "ModelRecordingTests", dependencies: ["ModelProviders", "JSONValues"]),
        .testTarget(name: "RunnerTests", dependencies: ["TestSupport", "RunnerClient", "RunnerProtocol"]),
        .testTarget(name: "HTTPTransportTests", dependencies: ["TestSupport", "HTTPTransport"]),
        .testTarget(name: "DockerEngineTests", dependencies: ["TestSupport", "DockerEngine"]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp"]),
        .testTarget(name: "ProfileAuditTests", dependencies: ["ProfileAudit", "Sandbox", "SandboxDocker", "Seccomp", "DockerEngine"]),
        .testTarget(
            name: "JSONSchemaTests", dependencies: ["JSONSchema", "JSONValues"],
            // A few files of the official JSON-Schema-Test-Suite (MIT; LICENSE beside them).
            resources: [.copy("JSON-Schema-Test-Suite")]),
        .testTarget(name: "WorkflowTests", dependencies: ["TestSupport", "Workflow", "Guardrails"]),
        .testTarget(name: "SchedulesTests", dependencies: ["Schedules"]),
        .testTarget(name: "GuardrailsTests", dependencies: ["Guardrails"]),
        .testTarget(name: "StoreTests", dependencies: ["TestSupport", "Store", "JSONValues", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "SandboxTests",
            dependencies: [
                "TestSupport", "Sandbox", "SandboxDocker", "SandboxE2B", "DockerEngine",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Templates, escaping, sessions, the drawings, and the pages over a live server (no browser;
        // the browser tests are tests/browser, in Chromium).
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "TestSupport", "Dashboard", "Server", "ServerCore", "Orchestrator", "EngineService", "Store", "Workflow", "HTTPTransport",
                "JSONValues", "Sandbox", "DockerEngine", .product(name: "Logging", package: "swift-log"),
            ],
            // Read by the drawing tests straight from the source folder.
            exclude: ["Golden"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                // Tests talk to a live server through our own libcurl client: HummingbirdTesting
                // would pull in AsyncHTTPClient and BoringSSL, many build minutes on 2 cores.
                "TestSupport", "Server", "ServerCore", "ServerCompat", "Sandbox", "SandboxDocker", "SandboxE2B", "Store", "DockerEngine", "HTTPTransport",
                "Engine", "Workflow", "OneShotAgent", "ModelProviders", "ProviderDouble", "JSONValues", "Orchestrator", "Webhooks", "EngineService",
                "Schedules", "SandcastleClient", "Guardrails", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                // SHA-256 of what big transfers moved (already a dependency of Sandbox).
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "ModelProvidersTests",
            dependencies: [
                "TestSupport", "ModelProviders", "ProviderDouble", "HTTPTransport", "JSONValues",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
            ],
            // The official SDKs' fidelity check, run by scripts/compat-providers.
            exclude: ["python"]),
        .testTarget(
            name: "AgentTests",
            dependencies: ["TestSupport", "Agent", "ModelProviders", "JSONValues", "Sandbox", "SandboxDocker", "DockerEngine"],
            // The MCP test server (the official Python SDK), copied into sandboxes and run on the host.
            exclude: ["python"]),
        .testTarget(
            name: "EngineTests",
            dependencies: [
                "TestSupport", "Engine", "EngineService", "Benchmarks", "Workflow", "Store", "Sandbox", "SandboxDocker", "DockerEngine", "Resilience",
                "ProviderDouble", "JSONValues", "Guardrails", "ModelProviders",
            ]),
        // Sandstorm's one-shot agent: upload rules, messages, sandstorm.json, and `sandcastle agent`
        // end to end on real Docker against the provider double.
        .testTarget(
            name: "OneShotAgentTests",
            dependencies: [
                "TestSupport", "OneShotAgent", "Agent", "ModelProviders", "ProviderDouble", "JSONValues", "Sandbox", "SandboxDocker",
                "DockerEngine",
            ]),
        // Webhooks against real receivers on loopback (Hummingbird) and the system resolver.
        .testTarget(
            name: "WebhooksTests",
            dependencies: [
                "TestSupport", "Webhooks", "HTTPTransport", "JSONValues", "Resilience",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The scheduler with a hand-moved clock, over a real store and run queue (runs on real Docker).
        .testTarget(
            name: "OrchestratorTests",
            dependencies: [
                "TestSupport", "Orchestrator", "EngineService", "Engine", "Store", "Schedules", "Workflow", "JSONValues", "Sandbox",
                "DockerEngine", .product(name: "Logging", package: "swift-log"),
            ]),
        // The models file, provider settings and the router (retries, failover), against fake providers.
        .testTarget(
            name: "ModelRoutingTests",
            dependencies: ["TestSupport", "ModelProviders", "Resilience", "JSONValues", "Suggestions", "Guardrails"]),
    ]
)
