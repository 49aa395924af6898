import Foundation

/// How a sandbox's container reaches the network.
public enum NetworkMode: String, Sendable, Codable, CaseIterable {
    /// No interfaces but loopback: the default.
    case none
    /// Docker's default bridge, with egress through NAT; only on request.
    case bridge
}

/// A size-limited tmpfs mount.
public struct TmpfsMount: Sendable, Equatable {
    public var path: String
    public var sizeBytes: Int64
    /// Mount options besides the size (e.g. `nosuid`, `noexec`, `mode=1777`).
    public var options: [String]

    public init(path: String, sizeBytes: Int64, options: [String]) {
        self.path = path
        self.sizeBytes = sizeBytes
        self.options = options
    }

    /// The option string Docker's `HostConfig.Tmpfs` takes.
    public var dockerOptions: String {
        (["rw"] + options + ["size=\(sizeBytes)"]).joined(separator: ",")
    }
}

/// A resource limit inside the sandbox (`ulimit`).
public struct ResourceLimit: Sendable, Equatable {
    public var name: String
    public var soft: Int64
    public var hard: Int64
    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }
}

/// Everything that decides how a sandbox is confined, as one value.
///
/// One profile builds the whole `HostConfig` (see `IsolationProfile+HostConfig.swift`),
/// so what a reviewer reads here is exactly what the engine is sent.
public struct IsolationProfile: Sendable, Equatable {
    public var name: String
    /// What the profile is for, in a sentence.
    public var summary: String
    /// The seccomp profile in Docker's JSON format, sent inline to the engine.
    public var seccompJSON: String
    /// Where the seccomp profile was read from (for reports and errors).
    public var seccompPath: String
    /// Capabilities added back after dropping all of them. Empty for every shipped profile.
    public var addedCapabilities: [String]
    public var user: String
    public var readOnlyRootFilesystem: Bool
    public var noNewPrivileges: Bool
    public var tmpfs: [TmpfsMount]
    public var pidsLimit: Int64
    public var memoryBytes: Int64
    public var nanoCPUs: Int64
    public var network: NetworkMode
    public var ulimits: [ResourceLimit]

    public init(name: String, summary: String, seccompJSON: String, seccompPath: String,
                addedCapabilities: [String] = [], user: String = "1000:1000", readOnlyRootFilesystem: Bool = true,
                noNewPrivileges: Bool = true, tmpfs: [TmpfsMount], pidsLimit: Int64, memoryBytes: Int64,
                nanoCPUs: Int64, network: NetworkMode, ulimits: [ResourceLimit]) {
        self.name = name
        self.summary = summary
        self.seccompJSON = seccompJSON
        self.seccompPath = seccompPath
        self.addedCapabilities = addedCapabilities
        self.user = user
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.noNewPrivileges = noNewPrivileges
        self.tmpfs = tmpfs
        self.pidsLimit = pidsLimit
        self.memoryBytes = memoryBytes
        self.nanoCPUs = nanoCPUs
        self.network = network
        self.ulimits = ulimits
    }
}

extension IsolationProfile {
    static let mebibyte: Int64 = 1024 * 1024

    /// The hardened default: what agents, python, node, pip and git need, and no network.
    public static func standard(seccompJSON: String, seccompPath: String) -> IsolationProfile {
        IsolationProfile(
            name: "default",
            summary: "Hardened default for agent code: no capabilities, allowlist seccomp, read-only root, no network.",
            seccompJSON: seccompJSON, seccompPath: seccompPath,
            tmpfs: [
                TmpfsMount(path: "/tmp", sizeBytes: 256 * mebibyte, options: ["nosuid", "nodev", "mode=1777"]),
                // The runner keeps its per-exec command files here; nothing there needs to execute.
                TmpfsMount(path: "/run", sizeBytes: 16 * mebibyte, options: ["nosuid", "nodev", "noexec", "uid=1000", "gid=1000", "mode=0755"]),
            ],
            pidsLimit: 512,
            memoryBytes: 1024 * mebibyte,
            nanoCPUs: 1_000_000_000,
            network: .none,
            ulimits: [
                ResourceLimit(name: "nofile", soft: 4096, hard: 4096),
                ResourceLimit(name: "core", soft: 0, hard: 0),
            ])
    }

    /// The default profile plus Docker's bridge network, for steps that must fetch packages.
    public static func networked(seccompJSON: String, seccompPath: String) -> IsolationProfile {
        var profile = standard(seccompJSON: seccompJSON, seccompPath: seccompPath)
        profile.name = "networked"
        profile.summary = "The default profile with egress through Docker's bridge network."
        profile.network = .bridge
        return profile
    }
}

/// Finds isolation profiles by name.
///
/// Shipped profiles are defined in code and take their seccomp filter from
/// `seccomp/<file>.json`, which is validated as JSON before any sandbox starts.
public struct ProfileCatalog: Sendable {
    public var seccompDirectory: String

    public init(seccompDirectory: String) {
        self.seccompDirectory = seccompDirectory
    }

    /// Uses the `seccomp/` folder of this checkout or installation.
    public init(locator: ResourceLocator = ResourceLocator()) throws {
        let defaultProfile = try locator.require("seccomp/default.json", what: "the default seccomp profile")
        seccompDirectory = (defaultProfile as NSString).deletingLastPathComponent
    }

    public static let shippedNames = ["default", "networked"]

    public func profile(named name: String) throws -> IsolationProfile {
        switch name {
        case "default":
            let (json, path) = try seccomp("default.json")
            return .standard(seccompJSON: json, seccompPath: path)
        case "networked":
            let (json, path) = try seccomp("default.json")
            return .networked(seccompJSON: json, seccompPath: path)
        default:
            throw SandboxError(.invalidProfile,
                               "unknown isolation profile '\(name)'; known profiles: \(Self.shippedNames.joined(separator: ", "))")
        }
    }

    /// Reads a seccomp file and refuses anything that is not a JSON object with a default action.
    func seccomp(_ file: String) throws -> (json: String, path: String) {
        let path = (seccompDirectory as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SandboxError(.invalidProfile, "cannot read seccomp profile \(path)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SandboxError(.invalidProfile, "seccomp profile \(path) is not valid JSON: \(error.localizedDescription)", cause: error)
        }
        guard let profile = object as? [String: Any], profile["defaultAction"] is String, profile["syscalls"] is [Any] else {
            throw SandboxError(.invalidProfile, "seccomp profile \(path) lacks defaultAction or syscalls")
        }
        // Compact once here: the engine receives it inline on every create.
        let compact = try JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys])
        return (String(decoding: compact, as: UTF8.self), path)
    }
}
