import Engine
import Foundation
import Sandbox
import SandboxE2B
import Workflow

/// Everything that decides how the engine is assembled, as one value: read from the
/// environment (and the flags laid over it) once, with an error that names the setting and its
/// value, before anything runs.
///
/// | setting | variable | default |
/// |---|---|---|
/// | data folder | `SANDCASTLE_DATA_DIR` (`--data-dir`) | `./data` |
/// | sandboxes at once, across runs | `SANDCASTLE_MAX_SANDBOXES` | 8 |
/// | sandboxes made ahead per kind | `SANDCASTLE_SANDBOXES_AHEAD` (0–16) | 1 |
/// | largest workspace kept for replays | `SANDCASTLE_WORKSPACE_SNAPSHOT_MAX` (bytes, 0 = none) | 256 MiB |
/// | attempts per backend at once | `SANDCASTLE_BACKEND_LIMITS` (`docker=8,e2b=4`) | 8 each |
/// | breaker threshold / cooldown | `SANDCASTLE_BREAKER_THRESHOLD` / `SANDCASTLE_BREAKER_COOLDOWN` (s) | 3 / 30 |
/// | E2B backend | `E2B_API_KEY` (+ `E2B_DOMAIN`, `E2B_API_URL`, `E2B_SANDBOX_URL`) | off |
public struct EngineSettings: Sendable {
    public var dataDirectory: String
    /// The most sandboxes this process runs at once, across its runs.
    public var maxSandboxes: Int
    /// Steps (fan-out items count one each) a run runs at once unless a run says otherwise.
    public var maxParallelPerRun: Int
    /// Sandboxes of each kind a run makes ahead on Docker (``EngineConfiguration/sandboxesAhead``).
    public var sandboxesAhead: Int
    /// The largest workspace (bytes) kept when a run ends for its replays and forks; 0 keeps none.
    public var workspaceSnapshotMaxBytes: Int64
    /// Attempts per backend at once; a backend not named gets ``defaultBackendLimit``.
    public var backendLimits: [Backend: Int]
    public var breaker: CircuitBreaker.Policy
    /// Set when `E2B_API_KEY` is: steps may then run on E2B.
    public var e2b: E2BConfiguration?
    /// The process environment: what `{env.X}` reads, and where `DOCKER_HOST` comes from.
    public var environment: [String: String]

    public static let defaultMaxSandboxes = 8
    public static let defaultMaxParallelPerRun = 4
    public static let defaultSandboxesAhead = 1
    public static let defaultBackendLimit = 8

    public init(dataDirectory: String = "./data", environment: [String: String] = [:]) {
        self.dataDirectory = dataDirectory
        self.maxSandboxes = Self.defaultMaxSandboxes
        self.maxParallelPerRun = Self.defaultMaxParallelPerRun
        self.sandboxesAhead = Self.defaultSandboxesAhead
        self.workspaceSnapshotMaxBytes = WorkspaceSnapshots.defaultMaxBytes
        self.backendLimits = [:]
        self.breaker = CircuitBreaker.Policy()
        self.e2b = nil
        self.environment = environment
    }

    /// The state database in the data folder.
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("sandcastle.sqlite") }

    /// The settings the environment gives, with `dataDirectory` (a flag) over `SANDCASTLE_DATA_DIR`.
    ///
    /// - Throws: ``EngineServiceError`` `.invalidSetting` naming the first bad variable and its value.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        dataDirectory: String? = nil
    ) throws -> EngineSettings {
        var settings = EngineSettings(
            dataDirectory: dataDirectory ?? environment["SANDCASTLE_DATA_DIR"] ?? "./data",
            environment: environment)
        let reader = SettingReader(environment: environment)
        settings.maxSandboxes =
            try reader.integer(
                "SANDCASTLE_MAX_SANDBOXES", in: 1...Int.max,
                expected: "a whole number ≥ 1") ?? settings.maxSandboxes
        settings.sandboxesAhead =
            try reader.integer(
                "SANDCASTLE_SANDBOXES_AHEAD", in: 0...16,
                expected: "a whole number from 0 to 16") ?? settings.sandboxesAhead
        if let text = environment["SANDCASTLE_WORKSPACE_SNAPSHOT_MAX"] {
            guard let value = Int64(text), value >= 0 else {
                throw reader.invalid(
                    "SANDCASTLE_WORKSPACE_SNAPSHOT_MAX", text,
                    expected: "a number of bytes ≥ 0 (0 keeps no snapshot)")
            }
            settings.workspaceSnapshotMaxBytes = value
        }
        settings.backendLimits = try reader.backendLimits()
        settings.breaker.failureThreshold =
            try reader.integer(
                "SANDCASTLE_BREAKER_THRESHOLD", in: 0...Int.max,
                expected: "a whole number ≥ 0 (0 = never open)")
            ?? settings.breaker.failureThreshold
        if let text = environment["SANDCASTLE_BREAKER_COOLDOWN"] {
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw reader.invalid("SANDCASTLE_BREAKER_COOLDOWN", text, expected: "seconds ≥ 0")
            }
            settings.breaker.cooldown = .milliseconds(Int64(value * 1000))
        }
        if let key = environment["E2B_API_KEY"], !key.isEmpty {
            do {
                settings.e2b = try E2BConfiguration.fromEnvironment(environment)
            } catch {
                throw EngineServiceError(.invalidSetting, "the E2B backend cannot be set up: \(error)", cause: error)
            }
        }
        return settings
    }
}

/// Reads `SANDCASTLE_*` variables, turning a bad value into an error that names both.
private struct SettingReader {
    let environment: [String: String]

    func invalid(_ variable: String, _ value: String, expected: String) -> EngineServiceError {
        EngineServiceError(.invalidSetting, "\(variable) must be \(expected), not '\(value)'")
    }

    func integer(_ variable: String, in range: ClosedRange<Int>, expected: String) throws -> Int? {
        guard let text = environment[variable] else { return nil }
        guard let value = Int(text), range.contains(value) else { throw invalid(variable, text, expected: expected) }
        return value
    }

    /// `SANDCASTLE_BACKEND_LIMITS`: `name=count` pairs separated by commas.
    func backendLimits() throws -> [Backend: Int] {
        let variable = "SANDCASTLE_BACKEND_LIMITS"
        guard let text = environment[variable], !text.isEmpty else { return [:] }
        var limits: [Backend: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let backend = parts.first.map { Backend(rawValue: $0) }
            guard parts.count == 2, let backend, backend == .docker || backend == .e2b,
                let value = Int(parts[1]), value >= 1
            else {
                throw invalid(variable, text, expected: "like docker=8,e2b=4 (counts ≥ 1)")
            }
            limits[backend] = value
        }
        return limits
    }
}
