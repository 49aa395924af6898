import Foundation
import Sandbox
import Store

// The native API's JSON shapes (snake_case on the wire). Kept apart from the records so the
// stored form can change without breaking clients.

/// `POST /v1/sandboxes`.
public struct CreateSandboxRequest: Codable, Sendable {
    public var image: String?
    public var profile: String?
    public var ttlSeconds: Int?
    public var workspace: String?
    public var env: [String: String]?
    /// CPUs (fractions allowed, e.g. 0.5).
    public var cpu: Double?
    public var memoryMB: Int?
    /// Give the sandbox the bridge network (egress); default per profile (none).
    public var network: Bool?
    /// Labels on the container, beside the server's: what a server-side caller marks its
    /// sandboxes with (a one-shot agent's session). Not part of the API (no client sets them),
    /// and a labelled sandbox is never taken from the warm pool.
    package var labels: [String: String] = [:]

    public init(
        image: String? = nil, profile: String? = nil, ttlSeconds: Int? = nil, workspace: String? = nil,
        env: [String: String]? = nil, cpu: Double? = nil, memoryMB: Int? = nil, network: Bool? = nil
    ) {
        self.image = image
        self.profile = profile
        self.ttlSeconds = ttlSeconds
        self.workspace = workspace
        self.env = env
        self.cpu = cpu
        self.memoryMB = memoryMB
        self.network = network
    }

    enum CodingKeys: String, CodingKey {
        case image, profile, ttlSeconds = "ttl_seconds", workspace, env, cpu, memoryMB = "memory_mb", network
    }
}

/// A sandbox as the API shows it. Environment values are never echoed back, only their names.
public struct SandboxView: Codable, Sendable, Equatable {
    public var id: String
    public var status: String
    public var statusReason: String?
    public var image: String
    public var profile: String
    public var workspace: String?
    public var envKeys: [String]
    public var createdAt: String
    public var expiresAt: String?
    public var ttlSeconds: Int?
    public var cpu: Double?
    public var memoryMB: Int?
    public var network: String?

    enum CodingKeys: String, CodingKey {
        case id, status, statusReason = "status_reason", image, profile, workspace, envKeys = "env_keys"
        case createdAt = "created_at", expiresAt = "expires_at", ttlSeconds = "ttl_seconds", cpu, memoryMB = "memory_mb", network
    }

    package init(_ r: SandboxRecord) {
        id = r.id
        status = r.status.rawValue
        statusReason = r.statusReason
        image = r.image
        profile = r.profile
        workspace = r.workspace
        envKeys = r.environment.keys.sorted()
        createdAt = APIDate.format(r.createdAt)
        expiresAt = r.expiresAt.map(APIDate.format)
        ttlSeconds = r.ttlSeconds
        cpu = r.nanoCPUs.map { Double($0) / 1e9 }
        memoryMB = r.memoryBytes.map { Int($0 / 1_048_576) }
        network = r.network
    }
}

/// `GET /v1/sandboxes`.
public struct SandboxPage: Codable, Sendable {
    /// The form of `next_cursor` (creation time in ms, a dot, the sandbox's id); the list refuses
    /// any other cursor.
    package static let cursorPattern = #"^[0-9]{1,15}\.[A-Za-z0-9_-]{1,128}$"#
    public var sandboxes: [SandboxView]
    /// Pass as `cursor` to get the next page; absent on the last page.
    public var nextCursor: String?
    enum CodingKeys: String, CodingKey { case sandboxes, nextCursor = "next_cursor" }
}

/// `POST /v1/sandboxes/{id}/exec` and `/exec/stream`: a shell command line, or an argv run
/// without a shell (then stdout and stderr stay apart).
public struct ExecRequest: Codable, Sendable {
    public var command: String?
    public var argv: [String]?
    public var timeoutMS: Int?
    public var maxOutputBytes: Int?
    /// Extra environment (argv only; a shell command can `export`).
    public var env: [String: String]?
    /// Working directory (argv only; a shell command can `cd`).
    public var cwd: String?

    public init(
        command: String? = nil, argv: [String]? = nil, timeoutMS: Int? = nil, maxOutputBytes: Int? = nil,
        env: [String: String]? = nil, cwd: String? = nil
    ) {
        self.command = command
        self.argv = argv
        self.timeoutMS = timeoutMS
        self.maxOutputBytes = maxOutputBytes
        self.env = env
        self.cwd = cwd
    }

    enum CodingKeys: String, CodingKey {
        case command, argv, timeoutMS = "timeout_ms", maxOutputBytes = "max_output_bytes", env, cwd
    }
}

public struct ExecResponse: Codable, Sendable {
    public var stdout: String
    public var stderr: String
    public var exitCode: Int32
    public var durationMS: Double
    public var truncated: Bool
    public var timedOut: Bool
    /// The kernel's OOM killer killed a process of the sandbox while the command ran (the
    /// command's fate, reported with its exit code, 137 when the command itself was killed).
    public var oomKilled: Bool
    /// The shell's working directory afterwards (shell commands only).
    public var cwd: String?

    enum CodingKeys: String, CodingKey {
        case stdout, stderr, exitCode = "exit_code", durationMS = "duration_ms", truncated, timedOut = "timed_out"
        case oomKilled = "oom_killed", cwd
    }
}

/// `POST /v1/sandboxes/{id}/extend`.
public struct ExtendRequest: Codable, Sendable {
    /// The new TTL, counted from now.
    public var ttlSeconds: Int
    enum CodingKeys: String, CodingKey { case ttlSeconds = "ttl_seconds" }
}

/// One entry of a file listing or a stat.
public struct FileView: Codable, Sendable, Equatable {
    public var name: String
    public var path: String
    public var type: String
    public var size: UInt64
    public var mode: String
    public var modifiedAt: String
    public var symlinkTarget: String?

    enum CodingKeys: String, CodingKey {
        case name, path, type, size, mode, modifiedAt = "modified_at", symlinkTarget = "symlink_target"
    }

    package init(_ info: FileInfo) {
        name = info.name
        path = info.path
        type =
            switch info.kind {
            case .file: "file"
            case .directory: "directory"
            case .symlink: "symlink"
            case .other: "other"
            }
        size = info.size
        mode = String(info.mode, radix: 8)
        modifiedAt = APIDate.format(Date(timeIntervalSince1970: Double(info.modifiedNanoseconds) / 1e9))
        symlinkTarget = info.symlinkTarget.isEmpty ? nil : info.symlinkTarget
    }
}

public struct FileList: Codable, Sendable {
    public var path: String
    public var entries: [FileView]

    public init(path: String, entries: [FileView]) {
        self.path = path
        self.entries = entries
    }
}

public struct MakeDirectoryRequest: Codable, Sendable {
    public var path: String
    public var parents: Bool?
}

public struct MoveRequest: Codable, Sendable {
    public var from: String
    public var to: String
    public var overwrite: Bool?
}

public struct CreateWorkspaceRequest: Codable, Sendable {
    public var name: String
}

public struct WorkspaceList: Codable, Sendable {
    public var workspaces: [WorkspaceInfo]

    public init(workspaces: [WorkspaceInfo]) { self.workspaces = workspaces }
}

/// `{"ok":true}` for operations with nothing else to say.
public struct OKResponse: Codable, Sendable {
    public var ok = true

    public init() {}
}

/// RFC 3339 timestamps with milliseconds, UTC.
package enum APIDate {
    package static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
