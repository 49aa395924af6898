import Foundation
import Seccomp
import Synchronization

/// How a sandbox's container reaches the network.
public enum NetworkMode: String, Sendable, Codable, CaseIterable {
    /// No interfaces but loopback: the default.
    case none
    /// Docker's default bridge, with egress through NAT; only on request.
    case bridge
}

/// A size-limited tmpfs mount.
public struct TmpfsMount: Sendable, Equatable, Codable {
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

/// A resource limit inside the sandbox (`ulimit`: `nofile`, `nproc`, …).
public struct ResourceLimit: Sendable, Hashable {
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
/// Profiles are defined in files (`seccomp/profiles/<name>.json`, see `seccomp/README.md`)
/// and loaded by ``ProfileCatalog``, which refuses an invalid one. One profile builds the
/// whole `HostConfig` (see `IsolationProfile+HostConfig.swift`), so what a reviewer reads
/// in the file is exactly what the engine is sent.
public struct IsolationProfile: Sendable, Equatable {
    public var name: String
    /// What the profile is for, in a sentence.
    public var summary: String
    /// The seccomp profile in Docker's JSON format, sent inline to the engine.
    public var seccompJSON: String
    /// Where the seccomp profile was read from (for reports and errors).
    public var seccompPath: String
    /// Capabilities added back after dropping all of them (`CAP_*`). Empty for every shipped profile;
    /// any entry is flagged by the audit.
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
    /// Paths hidden from the container. nil: Docker's defaults; otherwise the complete list sent
    /// to the engine (Docker's defaults plus the profile's extras).
    public var maskedPaths: [String]?
    /// Paths mounted read-only. nil: Docker's defaults; otherwise the complete list.
    public var readonlyPaths: [String]?
    /// The profile file this value was loaded from, when it came from one.
    public var profilePath: String?

    public init(
        name: String, summary: String, seccompJSON: String, seccompPath: String,
        addedCapabilities: [String] = [], user: String = "1000:1000", readOnlyRootFilesystem: Bool = true,
        noNewPrivileges: Bool = true, tmpfs: [TmpfsMount], pidsLimit: Int64, memoryBytes: Int64,
        nanoCPUs: Int64, network: NetworkMode, ulimits: [ResourceLimit],
        maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil, profilePath: String? = nil
    ) {
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
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.profilePath = profilePath
    }

    /// The seccomp profile, parsed (the inline JSON is what the engine receives).
    public func seccompProfile() throws -> SeccompProfile {
        try SeccompDocument.parse(seccompJSON, file: seccompPath).profile
    }
}

/// Docker's own masked and read-only paths (`moby/moby:daemon/pkg/oci/defaults.go`).
///
/// Setting `HostConfig.MaskedPaths` replaces Docker's list instead of adding to it, so a profile
/// with extra paths sends these plus its extras.
public enum DockerPathDefaults {
    public static var maskedPaths: [String] {
        var paths = [
            "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/sched_debug", "/proc/scsi", "/proc/timer_list", "/proc/timer_stats",
            "/sys/devices/virtual/powercap", "/sys/firmware",
        ]
        // Docker adds one thermal_throttle entry per CPU of the host it runs on.
        let cpus = ProcessInfo.processInfo.processorCount
        paths += (0..<cpus).map { "/sys/devices/system/cpu/cpu\($0)/thermal_throttle" }
        return paths
    }

    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
}

/// Where a listed profile comes from.
public enum ProfileOrigin: String, Sendable, Codable {
    /// `seccomp/profiles/` of this checkout or installation.
    case shipped
    /// The custom folder (`$SANDCASTLE_PROFILES_DIR` or `~/.config/sandcastle/profiles`).
    case custom
}

/// One profile file found on disk, loaded or not.
public struct ProfileListing: Sendable {
    public var name: String
    public var origin: ProfileOrigin
    public var path: String
    /// The loaded profile, or nil when it is invalid.
    public var profile: IsolationProfile?
    /// Why the profile cannot be used.
    public var error: String?
}

/// Finds isolation profiles by name: the shipped ones in `seccomp/profiles/`, custom ones in
/// a config folder.
///
/// Every profile is validated when it is loaded — its file format, its values and its seccomp
/// filter (each syscall name resolved with libseccomp, the filter compiled) — so an invalid
/// profile is refused with a clear error before any container is created.
public struct ProfileCatalog: Sendable {
    /// The shipped `seccomp/` folder (profiles are in its `profiles/` subfolder).
    public var seccompDirectory: String
    /// Where custom profiles are looked for; nil for none.
    public var customDirectory: String?

    public init(seccompDirectory: String, customDirectory: String? = ProfileCatalog.defaultCustomDirectory()) {
        self.seccompDirectory = seccompDirectory
        self.customDirectory = customDirectory
    }

    /// Uses the `seccomp/` folder of this checkout or installation.
    public init(
        locator: ResourceLocator = ResourceLocator(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let shipped = try locator.require("seccomp/profiles", what: "the shipped isolation profiles")
        seccompDirectory = (shipped as NSString).deletingLastPathComponent
        customDirectory = Self.defaultCustomDirectory(environment: environment)
    }

    /// `$SANDCASTLE_PROFILES_DIR`, else `~/.config/sandcastle/profiles`.
    public static func defaultCustomDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let directory = environment["SANDCASTLE_PROFILES_DIR"], !directory.isEmpty { return directory }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return (home as NSString).appendingPathComponent(".config/sandcastle/profiles")
    }

    /// The shipped profiles' folder.
    public var shippedDirectory: String { (seccompDirectory as NSString).appendingPathComponent("profiles") }

    /// Names of the shipped profiles found on disk (for this checkout or installation), sorted.
    public static var shippedNames: [String] {
        (try? ProfileCatalog())?.shippedNames ?? []
    }

    /// Names of the shipped profiles in ``shippedDirectory``, sorted.
    public var shippedNames: [String] { Self.profileNames(in: shippedDirectory) }

    /// Names of the custom profiles, sorted.
    public var customNames: [String] { customDirectory.map(Self.profileNames(in:)) ?? [] }

    /// Every profile on disk, each loaded (or with the reason it cannot be).
    public func list() -> [ProfileListing] {
        var listings: [ProfileListing] = []
        for (origin, directory) in [(ProfileOrigin.shipped, Optional(shippedDirectory)), (.custom, customDirectory)] {
            guard let directory else { continue }
            for name in Self.profileNames(in: directory) {
                let path = (directory as NSString).appendingPathComponent(name + ".json")
                do {
                    let profile = try self.profile(named: name)
                    listings.append(ProfileListing(name: name, origin: origin, path: path, profile: profile))
                } catch {
                    listings.append(ProfileListing(name: name, origin: origin, path: path, error: "\(error)"))
                }
            }
        }
        return listings
    }

    /// Loads and validates a profile by name.
    ///
    /// Throws ``SandboxError`` with code `invalidProfile` for an unknown name, or for a profile
    /// (or seccomp filter) that does not validate; the message names the file and the problem.
    public func profile(named name: String) throws -> IsolationProfile {
        guard let path = try path(of: name) else {
            let known = (shippedNames + customNames).joined(separator: ", ")
            throw SandboxError(.invalidProfile, "unknown isolation profile '\(name)'; known profiles: \(known)")
        }
        return try load(path: path)
    }

    /// Loads and validates the profile file at `path` (for `profile validate FILE`).
    public func profile(atPath path: String) throws -> IsolationProfile {
        try load(path: path)
    }

    /// The path of a named profile, or nil. A name in both folders is an error: a custom
    /// profile must not silently replace a shipped one.
    public func path(of name: String) throws -> String? {
        guard Self.isValidName(name) else {
            throw SandboxError(.invalidProfile, "'\(name)' is not a profile name (letters, digits, '.', '_' and '-')")
        }
        let shipped = (shippedDirectory as NSString).appendingPathComponent(name + ".json")
        let custom = customDirectory.map { ($0 as NSString).appendingPathComponent(name + ".json") }
        let shippedExists = FileManager.default.fileExists(atPath: shipped)
        if let custom, FileManager.default.fileExists(atPath: custom) {
            if shippedExists {
                throw SandboxError(
                    .invalidProfile,
                    "custom profile \(custom) has the name of a shipped profile ('\(name)'); "
                        + "rename it (custom profiles cannot replace shipped ones)")
            }
            return custom
        }
        return shippedExists ? shipped : nil
    }

    private func load(path: String) throws -> IsolationProfile {
        let resolved = try resolvedFile(path: path, chain: [])
        return try build(resolved.file, path: path, seccompBase: resolved.directory)
    }

    /// A profile file with its `extends` chain applied, and the folder its seccomp path is relative to.
    private func resolvedFile(path: String, chain: [String]) throws -> (file: ProfileFile, directory: String) {
        let file = try Self.readFile(path: path)
        let name = file.name ?? ""
        let directory = (path as NSString).deletingLastPathComponent
        guard let base = file.extends else { return (file, directory) }
        guard !chain.contains(base), base != name else {
            throw SandboxError(
                .invalidProfile,
                "profile \(path) extends '\(base)', which extends it back: "
                    + (chain + [name, base]).joined(separator: " → "))
        }
        guard let basePath = try self.path(of: base) else {
            throw SandboxError(.invalidProfile, "profile \(path) extends '\(base)', which does not exist")
        }
        let parent = try resolvedFile(path: basePath, chain: chain + [name])
        return (file.merged(onto: parent.file), file.seccomp == nil ? parent.directory : directory)
    }

    static func readFile(path: String) throws -> ProfileFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SandboxError(.invalidProfile, "cannot read isolation profile \(path)")
        }
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["defaultAction"] != nil {
            // The common mistake of dropping a seccomp filter into the profiles folder deserves its own message.
            throw SandboxError(
                .invalidProfile,
                "\(path) is a seccomp filter, not an isolation profile; keep filters outside "
                    + "the profiles folder and point to them with \"seccomp\"")
        }
        let file: ProfileFile
        do {
            file = try JSONDecoder().decode(ProfileFile.self, from: data)
        } catch {
            let failure = DecodeFailure.describe(
                error, source: SourceText(String(decoding: data, as: UTF8.self)), file: path,
                what: "isolation profile")
            throw SandboxError(.invalidProfile, failure.message, cause: failure)
        }
        guard let name = file.name else {
            throw SandboxError(.invalidProfile, "isolation profile \(path) has no \"name\"")
        }
        let fileName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        guard fileName == name else {
            throw SandboxError(
                .invalidProfile,
                "isolation profile \(path) is named '\(name)' but its file is \(fileName).json; "
                    + "the name must match the file name")
        }
        return file
    }

    /// Turns a resolved file into a profile, checking every value and the seccomp filter.
    private func build(_ file: ProfileFile, path: String, seccompBase: String) throws -> IsolationProfile {
        func invalid(_ message: String) -> SandboxError { SandboxError(.invalidProfile, "isolation profile \(path): \(message)") }
        func require<T>(_ value: T?, _ key: String) throws -> T {
            guard let value else { throw invalid("missing \"\(key)\"") }
            return value
        }
        let name = try require(file.name, "name")
        let description = try require(file.description, "description")
        let seccompReference = try require(file.seccomp, "seccomp")
        let user = try require(file.user, "user")
        guard user.range(of: #"^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$"#, options: .regularExpression) != nil else {
            throw invalid("\"user\" must be uid[:gid] or name[:group], got '\(user)'")
        }
        let readOnlyRoot = try require(file.readOnlyRootFilesystem, "readOnlyRootFilesystem")
        let noNewPrivileges = try require(file.noNewPrivileges, "noNewPrivileges")
        let limits = try require(file.limits, "limits")
        let pids = try require(limits.pids, "limits.pids")
        let memory = try require(limits.memory, "limits.memory").bytes
        let cpus = try require(limits.cpus, "limits.cpus")
        guard pids > 0 else { throw invalid("limits.pids must be positive (a profile without a pids limit allows fork bombs)") }
        guard memory >= 6 * 1024 * 1024 else { throw invalid("limits.memory must be at least 6MiB (Docker's minimum)") }
        guard cpus > 0, cpus <= 1024 else { throw invalid("limits.cpus must be a positive number of CPUs, e.g. 0.5") }
        let networkName = try require(file.network, "network")
        guard let network = NetworkMode(rawValue: networkName) else {
            throw invalid("unknown network '\(networkName)'; expected \(NetworkMode.allCases.map(\.rawValue).joined(separator: " or "))")
        }

        var capabilities: [String] = []
        for capability in file.capabilities?.add ?? [] {
            let canonical = EvaluationContext.canonicalCapability(capability)
            guard Capabilities.all.contains(canonical) else { throw invalid("unknown capability '\(capability)' in capabilities.add") }
            capabilities.append(canonical)
        }

        var tmpfs: [TmpfsMount] = []
        for entry in file.tmpfs ?? [] {
            guard entry.path.hasPrefix("/") else { throw invalid("tmpfs path '\(entry.path)' must be absolute") }
            guard entry.size.bytes > 0 else { throw invalid("tmpfs \(entry.path) needs a positive size") }
            guard !tmpfs.contains(where: { $0.path == entry.path }) else { throw invalid("tmpfs \(entry.path) is listed twice") }
            if let bad = entry.options.first(where: { $0.hasPrefix("size=") || $0.contains(",") || $0.isEmpty }) {
                throw invalid("tmpfs \(entry.path) option '\(bad)' is not allowed (one option per entry; the size goes in \"size\")")
            }
            tmpfs.append(TmpfsMount(path: entry.path, sizeBytes: entry.size.bytes, options: entry.options))
        }

        var ulimits: [ResourceLimit] = []
        for entry in file.ulimits ?? [] {
            guard Self.ulimitNames.contains(entry.name) else {
                throw invalid("unknown ulimit '\(entry.name)'; expected one of \(Self.ulimitNames.sorted().joined(separator: ", "))")
            }
            guard entry.soft <= entry.hard || entry.hard == -1 else { throw invalid("ulimit \(entry.name): soft is above hard") }
            ulimits.append(ResourceLimit(name: entry.name, soft: entry.soft, hard: entry.hard))
        }

        for extra in (file.extraMaskedPaths ?? []) + (file.extraReadonlyPaths ?? []) where !extra.hasPrefix("/") {
            throw invalid("path '\(extra)' must be absolute")
        }
        let masked = (file.extraMaskedPaths ?? []).isEmpty ? nil : DockerPathDefaults.maskedPaths + (file.extraMaskedPaths ?? [])
        let readonly = (file.extraReadonlyPaths ?? []).isEmpty ? nil : DockerPathDefaults.readonlyPaths + (file.extraReadonlyPaths ?? [])

        let seccompPath = try resolveSeccomp(seccompReference, relativeTo: seccompBase, profilePath: path)
        let seccompJSON = try Self.validatedSeccomp(at: seccompPath, profile: name, capabilities: Set(capabilities))

        return IsolationProfile(
            name: name, summary: description, seccompJSON: seccompJSON, seccompPath: seccompPath,
            addedCapabilities: capabilities, user: user, readOnlyRootFilesystem: readOnlyRoot, noNewPrivileges: noNewPrivileges,
            tmpfs: tmpfs, pidsLimit: pids, memoryBytes: memory, nanoCPUs: Int64((cpus * 1_000_000_000).rounded()),
            network: network, ulimits: ulimits, maskedPaths: masked, readonlyPaths: readonly, profilePath: path)
    }

    /// A relative seccomp path is looked up next to the profile file first, then in the shipped `seccomp/` folder.
    private func resolveSeccomp(_ reference: String, relativeTo base: String, profilePath: String) throws -> String {
        if reference.hasPrefix("/") {
            guard FileManager.default.fileExists(atPath: reference) else {
                throw SandboxError(.invalidProfile, "isolation profile \(profilePath): seccomp file \(reference) does not exist")
            }
            return reference
        }
        let candidates = [
            (base as NSString).appendingPathComponent(reference),
            (seccompDirectory as NSString).appendingPathComponent(reference),
        ]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw SandboxError(
                .invalidProfile,
                "isolation profile \(profilePath): seccomp file '\(reference)' not found; "
                    + "looked at \(candidates.joined(separator: " and "))")
        }
        return URL(fileURLWithPath: found).standardizedFileURL.path
    }

    /// Parses, validates (libseccomp name resolution for every architecture) and compiles the
    /// filter, returning the compact JSON the engine is sent.
    ///
    /// Every sandbox create loads its profile, so the result is kept per file version (path,
    /// size, modification time, capabilities): an unchanged filter is validated and compiled
    /// once per process, and an edited one is checked again before it is used.
    static func validatedSeccomp(at path: String, profile: String, capabilities: Set<String>) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let version =
            "\(path)|\((attributes?[.size] as? NSNumber)?.int64Value ?? -1)|"
            + "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)|\(capabilities.sorted().joined(separator: ","))"
        if attributes != nil, let cached = validatedSeccompCache.withLock({ $0[version] }) { return cached }
        do {
            let document = try SeccompDocument.load(path: path)
            try document.validated()
            _ = try BPFCompiler().compile(document.profile, context: .host(capabilities: capabilities))
            // Compact once here: the engine receives it inline on every create.
            let json = try document.compactJSON()
            if attributes != nil { validatedSeccompCache.withLock { $0[version] = json } }
            return json
        } catch let error as SeccompError {
            throw SandboxError(.invalidProfile, "isolation profile '\(profile)': invalid seccomp filter: \(error.message)", cause: error)
        }
    }

    private static let validatedSeccompCache = Mutex<[String: String]>([:])

    static let ulimitNames: Set<String> = [
        "as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio",
        "rttime", "sigpending", "stack",
    ]

    static func isValidName(_ name: String) -> Bool {
        name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"#, options: .regularExpression) != nil
    }

    static func profileNames(in directory: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .map { ($0 as NSString).deletingPathExtension }
            .sorted()
    }
}
