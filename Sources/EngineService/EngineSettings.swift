import Engine
import Foundation
import ModelProviders
import Resilience
import Sandbox
import SandboxE2B
import Store
import Workflow
import Yams

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
/// | privacy router | `PRIVACY_ENABLED`, `PRIVACY_ENTITIES`, `PRIVACY_APPLY_TO` | off; `email,phone,ssn,credit_card`; `outputs,webhooks` |
/// | compliance mode | `COMPLIANCE_MODE` (`eu_ai_act`) | none |
/// | data residency | `DATA_RESIDENCY` (`eu`, `local`) | any region |
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
    /// The process environment: what `{env.X}` reads, and where `DOCKER_HOST` and the model
    /// providers' keys come from.
    public var environment: [String: String]
    /// The user's models file (`--models`); nil: `SANDCASTLE_MODELS_FILE`, else the one in the
    /// config folder, over the shipped one.
    public var modelsFile: String?
    /// The privacy router for runs whose workflow has no `privacy:` block.
    public var privacy: PrivacySettings = .off
    /// `COMPLIANCE_MODE`: the rules workflows must meet at load and submit; nil: none.
    public var complianceMode: ComplianceMode?
    /// `DATA_RESIDENCY`: the regions models may be called in; nil: any.
    public var dataResidency: DataResidency?

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

    /// The settings from, in rising precedence: the defaults, the `engine:` section of the config
    /// file (`configFile`, else `SANDCASTLE_CONFIG`; YAML or JSON, the file `sandcastle serve`
    /// reads too), the environment, and the flags (`dataDirectory` over `SANDCASTLE_DATA_DIR`).
    ///
    /// ```yaml
    /// engine:
    ///   max_sandboxes: 8
    ///   sandboxes_ahead: 1
    ///   workspace_snapshot_max: 268435456
    ///   backend_limits: {docker: 8, e2b: 4}
    ///   breaker_threshold: 3
    ///   breaker_cooldown: 30
    /// ```
    ///
    /// - Throws: ``EngineServiceError`` `.invalidSetting` naming the first bad setting (the
    ///   variable, or the key and the file) and its value.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        dataDirectory: String? = nil,
        configFile: String? = nil
    ) throws -> EngineSettings {
        var settings = EngineSettings(
            dataDirectory: dataDirectory ?? environment["SANDCASTLE_DATA_DIR"] ?? "./data",
            environment: environment)
        if let file = configFile ?? environment["SANDCASTLE_CONFIG"].flatMap({ $0.isEmpty ? nil : $0 }) {
            try settings.apply(try SettingSource.file(file))
        }
        try settings.apply(SettingSource.environment(environment))
        if let key = environment[CredentialKeySource.variable], !key.isEmpty {
            // Checked before anything runs; the message never repeats the value.
            do {
                _ = try CredentialKeySource.parseKey(key, from: CredentialKeySource.variable)
            } catch {
                throw EngineServiceError(.invalidSetting, "\(error)", cause: error)
            }
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

    /// Lays one source's settings over these, each checked before it is taken.
    mutating func apply(_ source: SettingSource) throws {
        maxSandboxes = try source.integer(.maxSandboxes, in: 1...Int.max, expected: "a whole number ≥ 1") ?? maxSandboxes
        sandboxesAhead = try source.integer(.sandboxesAhead, in: 0...16, expected: "a whole number from 0 to 16") ?? sandboxesAhead
        if let text = source.values[.workspaceSnapshotMax] {
            guard let value = Int64(text), value >= 0 else {
                throw source.invalid(.workspaceSnapshotMax, text, expected: "a number of bytes ≥ 0 (0 keeps no snapshot)")
            }
            workspaceSnapshotMaxBytes = value
        }
        if let limits = try source.backendLimits() { backendLimits = limits }
        breaker.failureThreshold =
            try source.integer(.breakerThreshold, in: 0...Int.max, expected: "a whole number ≥ 0 (0 = never open)")
            ?? breaker.failureThreshold
        if let text = source.values[.breakerCooldown] {
            guard let value = Double(text), value >= 0, value.isFinite else {
                throw source.invalid(.breakerCooldown, text, expected: "seconds ≥ 0")
            }
            breaker.cooldown = .milliseconds(Int64(value * 1000))
        }
        try applyGuardrails(source)
    }
}

/// The engine's settings that a source can give, with their names in the environment and in
/// the config file's `engine:` section.
enum Setting: CaseIterable {
    case maxSandboxes, sandboxesAhead, workspaceSnapshotMax, backendLimits, breakerThreshold, breakerCooldown
    case privacyEnabled, privacyEntities, privacyApplyTo, complianceMode, dataResidency

    var variable: String {
        switch self {
        case .maxSandboxes: "SANDCASTLE_MAX_SANDBOXES"
        case .sandboxesAhead: "SANDCASTLE_SANDBOXES_AHEAD"
        case .workspaceSnapshotMax: "SANDCASTLE_WORKSPACE_SNAPSHOT_MAX"
        case .backendLimits: "SANDCASTLE_BACKEND_LIMITS"
        case .breakerThreshold: "SANDCASTLE_BREAKER_THRESHOLD"
        case .breakerCooldown: "SANDCASTLE_BREAKER_COOLDOWN"
        case .privacyEnabled: "PRIVACY_ENABLED"
        case .privacyEntities: "PRIVACY_ENTITIES"
        case .privacyApplyTo: "PRIVACY_APPLY_TO"
        case .complianceMode: "COMPLIANCE_MODE"
        case .dataResidency: "DATA_RESIDENCY"
        }
    }

    var key: String {
        switch self {
        case .maxSandboxes: "max_sandboxes"
        case .sandboxesAhead: "sandboxes_ahead"
        case .workspaceSnapshotMax: "workspace_snapshot_max"
        case .backendLimits: "backend_limits"
        case .breakerThreshold: "breaker_threshold"
        case .breakerCooldown: "breaker_cooldown"
        case .privacyEnabled: "privacy_enabled"
        case .privacyEntities: "privacy_entities"
        case .privacyApplyTo: "privacy_apply_to"
        case .complianceMode: "compliance_mode"
        case .dataResidency: "data_residency"
        }
    }
}

/// One source of settings as text (the environment, or the config file's `engine:` section), and
/// how its errors name a setting, so a bad value is reported where the user wrote it.
struct SettingSource {
    var values: [Setting: String]
    var name: (Setting) -> String

    static func environment(_ environment: [String: String]) -> SettingSource {
        var values: [Setting: String] = [:]
        for setting in Setting.allCases { values[setting] = environment[setting.variable] }
        return SettingSource(values: values, name: \.variable)
    }

    /// The `engine:` section of a YAML or JSON file; a file without one gives nothing.
    static func file(_ path: String) throws -> SettingSource {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EngineServiceError(.invalidSetting, "cannot read the config file \(path): \(error.localizedDescription)", cause: error)
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw EngineServiceError(.invalidSetting, "the config file \(path) is not valid YAML or JSON: \(error)", cause: error)
        }
        let name: (Setting) -> String = { "engine.\($0.key) in \(path)" }
        guard let engine = node?.mapping?["engine"] else { return SettingSource(values: [:], name: name) }
        guard let section = engine.mapping else {
            throw EngineServiceError(.invalidSetting, "engine in \(path) must be a mapping of settings")
        }
        let known = Dictionary(uniqueKeysWithValues: Setting.allCases.map { ($0.key, $0) })
        var values: [Setting: String] = [:]
        for (keyNode, valueNode) in section {
            guard let key = keyNode.string, let setting = known[key] else {
                throw EngineServiceError(
                    .invalidSetting,
                    "engine.\(keyNode.string ?? "?") in \(path) is not a setting; the engine's are "
                        + Setting.allCases.map(\.key).joined(separator: ", "))
            }
            if setting == .backendLimits, let limits = valueNode.mapping {
                // Written as a mapping in a file (`{docker: 8}`), read like the variable's `docker=8`.
                values[setting] = limits.map { "\($0.key.string ?? "?")=\($0.value.string ?? "?")" }.joined(separator: ",")
            } else if let scalar = valueNode.scalar?.string {
                values[setting] = scalar
            } else {
                throw EngineServiceError(.invalidSetting, "\(name(setting)) must be a single value")
            }
        }
        return SettingSource(values: values, name: name)
    }

    func invalid(_ setting: Setting, _ value: String, expected: String) -> EngineServiceError {
        EngineServiceError(.invalidSetting, "\(name(setting)) must be \(expected), not '\(value)'")
    }

    func integer(_ setting: Setting, in range: ClosedRange<Int>, expected: String) throws -> Int? {
        guard let text = values[setting] else { return nil }
        guard let value = Int(text), range.contains(value) else { throw invalid(setting, text, expected: expected) }
        return value
    }

    /// `name=count` pairs separated by commas; nil when the source does not set them.
    func backendLimits() throws -> [Backend: Int]? {
        guard let text = values[.backendLimits], !text.isEmpty else { return nil }
        var limits: [Backend: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let backend = parts.first.map { Backend(rawValue: $0) }
            guard parts.count == 2, let backend, backend == .docker || backend == .e2b,
                let value = Int(parts[1]), value >= 1
            else {
                throw invalid(.backendLimits, text, expected: "like docker=8,e2b=4 (counts ≥ 1)")
            }
            limits[backend] = value
        }
        return limits
    }
}
