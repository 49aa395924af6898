import Foundation
import Yams

/// Everything `sandcastle serve` can be told, with the documented defaults.
///
/// Sources, later ones winning: defaults → config file (JSON or YAML, `--config` /
/// `SANDCASTLE_CONFIG`) → environment (`SANDCASTLE_…`) → command-line flags.
public struct ServerConfiguration: Sendable {
    /// Address to bind; loopback by default so nothing is exposed by accident.
    public var host = "127.0.0.1"
    public var port = 8080
    /// Folder for `sandcastle.sqlite` and the server's identity file.
    public var dataDirectory = "./data"
    /// SHA-256 digests of the accepted API keys; plaintext keys are hashed as soon as they are read.
    public var apiKeyDigests: [[UInt8]] = []
    /// Serve without API keys. Only honoured on a loopback address. `AUTH_REQUIRED=false` sets
    /// it, `AUTH_REQUIRED=true` clears it.
    public var openMode = false
    /// Whether a source chose between keys and open mode (`--open`, `open`, `AUTH_REQUIRED`).
    public private(set) var authModeChosen = false
    /// Open because nothing was chosen and nothing configured on loopback (``defaultAuthMode()``).
    public private(set) var openByDefault = false
    /// The secret stored API keys are hashed with (`API_KEY_PEPPER`, `--api-key-pepper-file`);
    /// needed once the data folder holds keys or `ADMIN_API_KEY` is given.
    public var apiKeyPepper: APIKeyPepper?
    /// An admin key stored at start (`ADMIN_API_KEY`), idempotently.
    public var adminAPIKey: RedactedSecret?
    /// How long a rotated key keeps working by default (`KEY_ROTATION_GRACE_HOURS`), 0…8760.
    public var keyRotationGraceHours = 24
    /// Live sandboxes across all keys.
    public var maxSandboxes = 64
    /// Live sandboxes per API key (in open mode: the whole server).
    public var maxSandboxesPerKey = 16
    /// Largest JSON request body.
    public var maxBodyBytes = 1 << 20
    /// Largest file upload (streamed, so this bounds the sandbox's disk use, not memory).
    public var maxUploadBytes = 1 << 30
    /// File transfers (uploads and downloads, all APIs) moved at once; more wait for a turn.
    public var maxTransfers = 16
    /// How long a transfer waits for a turn before it is answered `503 server_busy`.
    public var transferWaitSeconds = 30.0
    /// TTL given to a sandbox created without one, and the longest allowed.
    public var defaultTTLSeconds = 3600
    public var maxTTLSeconds = 7 * 24 * 3600
    /// Exec defaults and bounds.
    public var defaultExecTimeoutSeconds = 60
    public var maxExecTimeoutSeconds = 3600
    public var maxExecOutputBytes = 1 << 20
    /// How often the reaper looks for expired sandboxes.
    public var reapIntervalSeconds = 5.0
    /// Warm pool targets (`image[:profile]=N`); none means every sandbox is created cold.
    public var pool: [String] = []
    /// Largest request head (request line and headers); a bigger one is answered 431 and its connection closed.
    public var maxRequestHeadBytes = 64 << 10
    /// A kept-alive connection with no request for this long is closed.
    public var idleTimeoutSeconds = 60.0
    /// A request head must have arrived whole this long after its first byte (on a new
    /// connection: after the connection opened), or the connection is closed.
    public var requestHeadTimeoutSeconds = 20.0
    /// A request body the server is waiting for that brings no byte for this long is cut (408).
    /// Time the server itself spends (computing an answer, a slow sandbox) never counts.
    public var requestBodyTimeoutSeconds = 30.0
    /// Open connections from one client address; more are refused at once (429) and closed.
    public var maxConnectionsPerClient = 128
    /// Requests per caller to `/api`'s endpoints that start runs (Sandcastle's 10 per 60 s); 0 is off.
    package var rateLimitRuns = RateLimit.sandcastleDefault
    /// Browser origins (a dashboard) allowed to call the server cross-origin; none by default.
    public var corsOrigins: [String] = []

    public init() {}

    /// Values from any one source; nil means "not set here".
    public struct Overrides: Sendable, Decodable {
        public var host: String?
        public var port: Int?
        public var dataDirectory: String?
        public var apiKeys: [String]?
        public var apiKeySHA256: [String]?
        public var openMode: Bool?
        public var maxSandboxes: Int?
        public var maxSandboxesPerKey: Int?
        public var maxBodyBytes: Int?
        public var maxUploadBytes: Int?
        public var maxTransfers: Int?
        public var transferWaitSeconds: Double?
        public var defaultTTLSeconds: Int?
        public var maxTTLSeconds: Int?
        public var defaultExecTimeoutSeconds: Int?
        public var maxExecTimeoutSeconds: Int?
        public var maxExecOutputBytes: Int?
        public var reapIntervalSeconds: Double?
        public var pool: [String]?
        public var maxRequestHeadBytes: Int?
        public var idleTimeoutSeconds: Double?
        public var requestHeadTimeoutSeconds: Double?
        public var requestBodyTimeoutSeconds: Double?
        public var maxConnectionsPerClient: Int?
        public var authRequired: Bool?
        /// The pepper itself (environment only: a config file names a file instead).
        public var apiKeyPepper: String?
        public var apiKeyPepperFile: String?
        public var adminAPIKey: String?
        public var keyRotationGraceHours: Int?
        /// `N/60s`-style (see ``RateLimit/parse(_:)``).
        public var rateLimitRuns: String?
        public var corsOrigins: [String]?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case host, port, dataDirectory = "data_dir", apiKeys = "api_keys", apiKeySHA256 = "api_key_sha256", openMode = "open"
            case maxSandboxes = "max_sandboxes", maxSandboxesPerKey = "max_sandboxes_per_key", maxBodyBytes = "max_body_bytes"
            case maxUploadBytes = "max_upload_bytes", maxTransfers = "max_transfers", transferWaitSeconds = "transfer_wait_seconds"
            case defaultTTLSeconds = "default_ttl_seconds", maxTTLSeconds = "max_ttl_seconds"
            case defaultExecTimeoutSeconds = "default_exec_timeout_seconds", maxExecTimeoutSeconds = "max_exec_timeout_seconds"
            case maxExecOutputBytes = "max_exec_output_bytes", reapIntervalSeconds = "reap_interval_seconds", pool
            case maxRequestHeadBytes = "max_request_head_bytes", idleTimeoutSeconds = "idle_timeout_seconds"
            case requestHeadTimeoutSeconds = "request_head_timeout_seconds", requestBodyTimeoutSeconds = "request_body_timeout_seconds"
            case maxConnectionsPerClient = "max_connections_per_client"
            case authRequired = "auth_required", apiKeyPepperFile = "api_key_pepper_file"
            case keyRotationGraceHours = "key_rotation_grace_hours"
            case rateLimitRuns = "rate_limit_runs", corsOrigins = "cors_origins"
        }

        /// Reads `SANDCASTLE_HOST`, `_PORT`, `_DATA_DIR`, `_API_KEYS` (comma-separated), `_OPEN=1`,
        /// `_MAX_SANDBOXES`, `_MAX_SANDBOXES_PER_KEY`, `_DEFAULT_TTL`, `_MAX_TTL`, `_POOL` (comma-separated),
        /// and the connection limits `_MAX_REQUEST_HEAD_BYTES`, `_IDLE_TIMEOUT`, `_REQUEST_HEAD_TIMEOUT`,
        /// `_REQUEST_BODY_TIMEOUT` (seconds), `_MAX_CONNECTIONS_PER_CLIENT`,
        /// `_MAX_TRANSFERS`, `_TRANSFER_WAIT` (seconds), `_RATE_LIMIT_RUNS` (`N/60s`), `_CORS_ORIGINS`
        /// (comma-separated).
        public static func fromEnvironment(_ env: [String: String]) throws -> Overrides {
            var o = Overrides()
            o.host = env["SANDCASTLE_HOST"].flatMap { $0.isEmpty ? nil : $0 }
            o.port = try int(env, "SANDCASTLE_PORT")
            o.dataDirectory = env["SANDCASTLE_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            o.apiKeys = list(env["SANDCASTLE_API_KEYS"])
            if let open = env["SANDCASTLE_OPEN"], !open.isEmpty {
                guard let value = bool(open) else {
                    throw ServerError(.invalidConfiguration, "SANDCASTLE_OPEN must be 1/true or 0/false, not '\(open)'")
                }
                o.openMode = value
            }
            o.maxSandboxes = try int(env, "SANDCASTLE_MAX_SANDBOXES")
            o.maxSandboxesPerKey = try int(env, "SANDCASTLE_MAX_SANDBOXES_PER_KEY")
            o.defaultTTLSeconds = try int(env, "SANDCASTLE_DEFAULT_TTL")
            o.maxTTLSeconds = try int(env, "SANDCASTLE_MAX_TTL")
            o.pool = list(env["SANDCASTLE_POOL"])
            o.maxRequestHeadBytes = try int(env, "SANDCASTLE_MAX_REQUEST_HEAD_BYTES")
            o.idleTimeoutSeconds = try seconds(env, "SANDCASTLE_IDLE_TIMEOUT")
            o.requestHeadTimeoutSeconds = try seconds(env, "SANDCASTLE_REQUEST_HEAD_TIMEOUT")
            o.requestBodyTimeoutSeconds = try seconds(env, "SANDCASTLE_REQUEST_BODY_TIMEOUT")
            o.maxConnectionsPerClient = try int(env, "SANDCASTLE_MAX_CONNECTIONS_PER_CLIENT")
            o.maxTransfers = try int(env, "SANDCASTLE_MAX_TRANSFERS")
            // Sandcastle's own names first, then ours.
            for name in ["AUTH_REQUIRED", "SANDCASTLE_AUTH_REQUIRED"] {
                guard let text = env[name], !text.isEmpty else { continue }
                guard let value = bool(text) else { throw ServerError(.invalidConfiguration, "\(name) must be true or false, not '\(text)'") }
                o.authRequired = value
            }
            o.apiKeyPepper = ["API_KEY_PEPPER", "SANDCASTLE_API_KEY_PEPPER"].lazy.compactMap { env[$0] }.first { !$0.isEmpty }
            o.apiKeyPepperFile = env["SANDCASTLE_API_KEY_PEPPER_FILE"].flatMap { $0.isEmpty ? nil : $0 }
            o.adminAPIKey = ["ADMIN_API_KEY", "SANDCASTLE_ADMIN_API_KEY"].lazy.compactMap { env[$0] }.first { !$0.isEmpty }
            o.keyRotationGraceHours = try int(env, "KEY_ROTATION_GRACE_HOURS") ?? int(env, "SANDCASTLE_KEY_ROTATION_GRACE_HOURS")
            o.rateLimitRuns = env["SANDCASTLE_RATE_LIMIT_RUNS"].flatMap { $0.isEmpty ? nil : $0 }
            o.corsOrigins = list(env["SANDCASTLE_CORS_ORIGINS"])
            if let text = env["SANDCASTLE_TRANSFER_WAIT"], !text.isEmpty {
                guard let value = Double(text) else {
                    throw ServerError(.invalidConfiguration, "SANDCASTLE_TRANSFER_WAIT must be a number of seconds, not '\(text)'")
                }
                o.transferWaitSeconds = value
            }
            return o
        }

        /// Reads a JSON (`.json`) or YAML (anything else) file with snake_case keys.
        public static func fromFile(_ path: String) throws -> Overrides {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw ServerError(.invalidConfiguration, "cannot read the config file \(path): \(error.localizedDescription)")
            }
            do {
                if path.hasSuffix(".json") { return try JSONDecoder().decode(Overrides.self, from: data) }
                return try YAMLDecoder().decode(Overrides.self, from: data)
            } catch {
                throw ServerError(.invalidConfiguration, "the config file \(path) is invalid: \(ServerError.describe(error))")
            }
        }

        static func int(_ env: [String: String], _ name: String) throws -> Int? {
            guard let text = env[name], !text.isEmpty else { return nil }
            guard let value = Int(text) else { throw ServerError(.invalidConfiguration, "\(name) must be an integer, not '\(text)'") }
            return value
        }

        static func seconds(_ env: [String: String], _ name: String) throws -> Double? {
            guard let text = env[name], !text.isEmpty else { return nil }
            guard let value = Double(text), value.isFinite else {
                throw ServerError(.invalidConfiguration, "\(name) must be a number of seconds, not '\(text)'")
            }
            return value
        }

        static func list(_ text: String?) -> [String]? {
            guard let text, !text.isEmpty else { return nil }
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        static func bool(_ text: String) -> Bool? {
            switch text.lowercased() {
            case "1", "true", "yes", "on": true
            case "0", "false", "no", "off": false
            default: nil
            }
        }
    }

    /// Applies one source on top of this configuration.
    public mutating func apply(_ o: Overrides) throws {
        if let v = o.host { host = v }
        if let v = o.port { port = v }
        if let v = o.dataDirectory { dataDirectory = v }
        // Keys accumulate across sources: a file may hold some and the environment others.
        for key in o.apiKeys ?? [] { apiKeyDigests.append(APIKeyStore.digest(key)) }
        for hex in o.apiKeySHA256 ?? [] {
            guard let digest = APIKeyStore.bytes(hex: hex), digest.count == 32 else {
                throw ServerError(.invalidConfiguration, "api_key_sha256 entries must be 64 hex digits (a SHA-256), not '\(hex)'")
            }
            apiKeyDigests.append(digest)
        }
        if let v = o.openMode {
            openMode = v
            authModeChosen = true
        }
        if let v = o.maxSandboxes { maxSandboxes = v }
        if let v = o.maxSandboxesPerKey { maxSandboxesPerKey = v }
        if let v = o.maxBodyBytes { maxBodyBytes = v }
        if let v = o.maxUploadBytes { maxUploadBytes = v }
        if let v = o.maxTransfers { maxTransfers = v }
        if let v = o.transferWaitSeconds { transferWaitSeconds = v }
        if let v = o.defaultTTLSeconds { defaultTTLSeconds = v }
        if let v = o.maxTTLSeconds { maxTTLSeconds = v }
        if let v = o.defaultExecTimeoutSeconds { defaultExecTimeoutSeconds = v }
        if let v = o.maxExecTimeoutSeconds { maxExecTimeoutSeconds = v }
        if let v = o.maxExecOutputBytes { maxExecOutputBytes = v }
        if let v = o.reapIntervalSeconds { reapIntervalSeconds = v }
        if let v = o.pool { pool = v }
        if let v = o.maxRequestHeadBytes { maxRequestHeadBytes = v }
        if let v = o.idleTimeoutSeconds { idleTimeoutSeconds = v }
        if let v = o.requestHeadTimeoutSeconds { requestHeadTimeoutSeconds = v }
        if let v = o.requestBodyTimeoutSeconds { requestBodyTimeoutSeconds = v }
        if let v = o.maxConnectionsPerClient { maxConnectionsPerClient = v }
        if let v = o.authRequired {
            openMode = !v
            authModeChosen = true
        }
        if let v = o.apiKeyPepper { apiKeyPepper = try APIKeyPepper(v, source: "API_KEY_PEPPER") }
        if let path = o.apiKeyPepperFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ServerError(.invalidConfiguration, "cannot read the API key pepper file \(path)")
            }
            apiKeyPepper = try APIKeyPepper(text, source: "the API key pepper file \(path)")
        }
        if let v = o.adminAPIKey {
            guard v.trimmingCharacters(in: .whitespaces).count >= 16 else {
                throw ServerError(.invalidConfiguration, "ADMIN_API_KEY must be at least 16 characters")
            }
            adminAPIKey = RedactedSecret(v.trimmingCharacters(in: .whitespaces))
        }
        if let v = o.keyRotationGraceHours { keyRotationGraceHours = v }
        if let v = o.rateLimitRuns {
            guard let rate = RateLimit.parse(v) else {
                throw ServerError(
                    .invalidConfiguration,
                    "rate_limit_runs must be N or N/WINDOW (a window in seconds, like 60s, 1m or 1h, at most a day), e.g. 10/60s; 0 turns it off; not '\(v)'")
            }
            rateLimitRuns = rate
        }
        if let v = o.corsOrigins { corsOrigins = v }
    }

    /// Builds the configuration from all sources (flags last).
    public static func load(configFile: String?, environment: [String: String], flags: Overrides) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        let file = configFile ?? environment["SANDCASTLE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        if let file { try configuration.apply(try Overrides.fromFile(file)) }
        try configuration.apply(try Overrides.fromEnvironment(environment))
        try configuration.apply(flags)
        configuration.defaultAuthMode()
        try configuration.validate()
        return configuration
    }

    /// `AUTH_REQUIRED` defaults to off only on loopback, and only when no key of any kind is
    /// configured: a keyless local server is open (Sandcastle's default), while a server on
    /// another address, or one given keys, requires them. Choosing (`--open`, `AUTH_REQUIRED`)
    /// always wins.
    mutating func defaultAuthMode() {
        guard !authModeChosen, !openMode, Self.isLoopback(host) else { return }
        guard apiKeyDigests.isEmpty, adminAPIKey == nil, apiKeyPepper == nil else { return }
        openMode = true
        openByDefault = true
    }

    /// Refuses configurations that would be unsafe or cannot work, with the fix in the message.
    public func validate() throws {
        guard (0...65535).contains(port) else { throw ServerError(.invalidConfiguration, "port \(port) is outside 0…65535") }
        if openMode && !Self.isLoopback(host) {
            throw ServerError(
                .invalidConfiguration,
                "open mode (no API keys: --open, AUTH_REQUIRED=false) is only allowed on a loopback address, but the server would "
                    + "listen on \(host). Bind to 127.0.0.1 or give API keys with --api-key / SANDCASTLE_API_KEYS / ADMIN_API_KEY.")
        }
        // Stored keys (checked when the server opens its data folder) need the pepper.
        if !openMode && apiKeyDigests.isEmpty && adminAPIKey == nil && apiKeyPepper == nil {
            throw ServerError(
                .invalidConfiguration,
                "no API keys are configured. Give one or more with --api-key KEY (or SANDCASTLE_API_KEYS=k1,k2), or ADMIN_API_KEY "
                    + "with API_KEY_PEPPER, or run keyless on loopback with --open (SANDCASTLE_OPEN=1, AUTH_REQUIRED=false).")
        }
        if adminAPIKey != nil && apiKeyPepper == nil {
            throw ServerError(
                .invalidConfiguration,
                "ADMIN_API_KEY is stored as an HMAC with the server's pepper: set API_KEY_PEPPER (at least "
                    + "\(APIKeyPepper.minimumLength) characters) or --api-key-pepper-file")
        }
        guard (0...APIKeyService.maxGraceHours).contains(keyRotationGraceHours) else {
            throw ServerError(.invalidConfiguration, "KEY_ROTATION_GRACE_HOURS must be 0 to \(APIKeyService.maxGraceHours), not \(keyRotationGraceHours)")
        }
        for (name, value) in [
            ("max_sandboxes", maxSandboxes), ("max_sandboxes_per_key", maxSandboxesPerKey),
            ("max_body_bytes", maxBodyBytes), ("default_ttl_seconds", defaultTTLSeconds),
            ("max_ttl_seconds", maxTTLSeconds), ("max_exec_timeout_seconds", maxExecTimeoutSeconds),
            ("max_connections_per_client", maxConnectionsPerClient),
            ("max_transfers", maxTransfers),
        ]
        where value <= 0 {
            throw ServerError(.invalidConfiguration, "\(name) must be positive, not \(value)")
        }
        for (name, value) in [
            ("idle_timeout_seconds", idleTimeoutSeconds), ("request_head_timeout_seconds", requestHeadTimeoutSeconds),
            ("request_body_timeout_seconds", requestBodyTimeoutSeconds),
        ]
        where !(value > 0 && value <= Self.longestConnectionTimeoutSeconds) {
            throw ServerError(
                .invalidConfiguration,
                "\(name) must be a number of seconds above 0 and at most \(Int(Self.longestConnectionTimeoutSeconds)), not \(value)")
        }
        // Below this even an ordinary browser's or SDK's request head would be refused.
        if maxRequestHeadBytes < Self.smallestRequestHeadBytes {
            throw ServerError(
                .invalidConfiguration,
                "max_request_head_bytes must be at least \(Self.smallestRequestHeadBytes), not \(maxRequestHeadBytes)")
        }
        guard transferWaitSeconds.isFinite, (0...3600).contains(transferWaitSeconds) else {
            throw ServerError(.invalidConfiguration, "transfer_wait_seconds must be between 0 and 3600, not \(transferWaitSeconds)")
        }
        _ = try PoolProvisioner.targets(pool)
        for origin in corsOrigins {
            if let problem = CORSOrigins.problem(origin) { throw ServerError(.invalidConfiguration, "cors_origins: \(problem)") }
        }
        if defaultTTLSeconds > maxTTLSeconds {
            throw ServerError(.invalidConfiguration, "default_ttl_seconds (\(defaultTTLSeconds)) exceeds max_ttl_seconds (\(maxTTLSeconds))")
        }
    }

    /// A day: a longer connection timeout is a typo, and timers far in the future gain nothing.
    static let longestConnectionTimeoutSeconds = 86_400.0
    static let smallestRequestHeadBytes = 1024

    /// `127.0.0.0/8`, `::1` and `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The SQLite file inside the data folder.
    public var databasePath: String { URL(fileURLWithPath: dataDirectory).appendingPathComponent("sandcastle.sqlite").path }
}
