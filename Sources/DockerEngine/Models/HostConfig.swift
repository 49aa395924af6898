/// `HostConfig`: how the engine runs a container (isolation, resources, mounts, logging).
/// Every field is optional and omitted from the JSON when `nil`, so the engine's defaults apply.
public struct HostConfig: Codable, Sendable, Hashable {
    /// Host paths bind-mounted as `src:dst[:opts]`. Sandcastle never binds host paths; kept for completeness.
    public var binds: [String]?
    public var mounts: [Mount]?
    /// Mount point → tmpfs option string (`size=…,mode=…`).
    public var tmpfs: [String: String]?
    public var capAdd: [String]?
    public var capDrop: [String]?
    /// e.g. `no-new-privileges:true`, `seccomp=<profile JSON>`, `apparmor=…`.
    public var securityOpt: [String]?
    public var readonlyRootfs: Bool?
    public var privileged: Bool?
    /// Maximum number of tasks in the container's cgroup; 0 or -1 means unlimited.
    public var pidsLimit: Int64?
    /// Memory limit in bytes.
    public var memory: Int64?
    /// Memory plus swap in bytes; equal to `memory` disables swap, -1 allows unlimited swap.
    public var memorySwap: Int64?
    public var memoryReservation: Int64?
    /// CPU quota in units of 10⁻⁹ CPUs.
    public var nanoCpus: Int64?
    public var cpuShares: Int64?
    public var cpuQuota: Int64?
    public var cpuPeriod: Int64?
    public var cpusetCpus: String?
    /// `bridge`, `none`, `host`, `container:<id>` or a network name.
    public var networkMode: String?
    public var logConfig: LogConfig?
    /// Run an init process (tini) as PID 1. Named `Init` in the API.
    public var initProcess: Bool?
    public var autoRemove: Bool?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var ulimits: [Ulimit]?
    public var ipcMode: String?
    public var pidMode: String?
    public var usernsMode: String?
    public var cgroupnsMode: String?
    public var devices: [DeviceMapping]?
    /// Size of `/dev/shm` in bytes.
    public var shmSize: Int64?
    public var oomKillDisable: Bool?
    public var oomScoreAdj: Int?
    public var dns: [String]?
    public var dnsOptions: [String]?
    public var dnsSearch: [String]?
    public var extraHosts: [String]?
    public var groupAdd: [String]?
    public var sysctls: [String: String]?
    public var runtime: String?
    public var restartPolicy: RestartPolicy?
    /// `"80/tcp"` → host bindings.
    public var portBindings: [String: [PortBinding]]?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case binds = "Binds", mounts = "Mounts", tmpfs = "Tmpfs", capAdd = "CapAdd", capDrop = "CapDrop"
        case securityOpt = "SecurityOpt", readonlyRootfs = "ReadonlyRootfs", privileged = "Privileged", pidsLimit = "PidsLimit"
        case memory = "Memory", memorySwap = "MemorySwap", memoryReservation = "MemoryReservation", nanoCpus = "NanoCpus"
        case cpuShares = "CpuShares", cpuQuota = "CpuQuota", cpuPeriod = "CpuPeriod", cpusetCpus = "CpusetCpus"
        case networkMode = "NetworkMode", logConfig = "LogConfig", initProcess = "Init", autoRemove = "AutoRemove"
        case maskedPaths = "MaskedPaths", readonlyPaths = "ReadonlyPaths", ulimits = "Ulimits", ipcMode = "IpcMode"
        case pidMode = "PidMode", usernsMode = "UsernsMode", cgroupnsMode = "CgroupnsMode", devices = "Devices"
        case shmSize = "ShmSize", oomKillDisable = "OomKillDisable", oomScoreAdj = "OomScoreAdj", dns = "Dns"
        case dnsOptions = "DnsOptions", dnsSearch = "DnsSearch", extraHosts = "ExtraHosts", groupAdd = "GroupAdd"
        case sysctls = "Sysctls", runtime = "Runtime", restartPolicy = "RestartPolicy", portBindings = "PortBindings"
    }
}

/// The kind of a ``Mount``; extensible because engines add kinds over time.
public struct MountType: RawRepresentable, Codable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let volume = MountType(rawValue: "volume")
    public static let tmpfs = MountType(rawValue: "tmpfs")
    public static let bind = MountType(rawValue: "bind")

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// One entry of `HostConfig.Mounts`.
public struct Mount: Codable, Sendable, Hashable {
    public var type: MountType
    /// Volume name (nil: an anonymous volume) or host path for binds.
    public var source: String?
    public var target: String
    public var readOnly: Bool?
    public var consistency: String?
    public var volumeOptions: VolumeOptions?
    public var tmpfsOptions: TmpfsOptions?

    public init(
        type: MountType, source: String? = nil, target: String, readOnly: Bool? = nil, consistency: String? = nil,
        volumeOptions: VolumeOptions? = nil, tmpfsOptions: TmpfsOptions? = nil
    ) {
        self.type = type
        self.source = source
        self.target = target
        self.readOnly = readOnly
        self.consistency = consistency
        self.volumeOptions = volumeOptions
        self.tmpfsOptions = tmpfsOptions
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type", source = "Source", target = "Target", readOnly = "ReadOnly", consistency = "Consistency"
        case volumeOptions = "VolumeOptions", tmpfsOptions = "TmpfsOptions"
    }
}

/// Options for a volume mount; `labels` apply when the mount creates the volume.
public struct VolumeOptions: Codable, Sendable, Hashable {
    /// Do not copy the image's content at the mount point into a new volume.
    public var noCopy: Bool?
    public var labels: [String: String]?
    public var driverConfig: DriverConfig?

    public init(noCopy: Bool? = nil, labels: [String: String]? = nil, driverConfig: DriverConfig? = nil) {
        self.noCopy = noCopy
        self.labels = labels
        self.driverConfig = driverConfig
    }

    enum CodingKeys: String, CodingKey {
        case noCopy = "NoCopy", labels = "Labels", driverConfig = "DriverConfig"
    }
}

/// A volume driver and its options.
public struct DriverConfig: Codable, Sendable, Hashable {
    public var name: String?
    public var options: [String: String]?

    public init(name: String? = nil, options: [String: String]? = nil) {
        self.name = name
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case name = "Name", options = "Options" }
}

/// Options for a tmpfs mount.
public struct TmpfsOptions: Codable, Sendable, Hashable {
    public var sizeBytes: Int64?
    /// Permission bits of the mount point (e.g. `0o1777`).
    public var mode: UInt32?

    public init(sizeBytes: Int64? = nil, mode: UInt32? = nil) {
        self.sizeBytes = sizeBytes
        self.mode = mode
    }

    enum CodingKeys: String, CodingKey { case sizeBytes = "SizeBytes", mode = "Mode" }
}

/// `HostConfig.LogConfig`.
public struct LogConfig: Codable, Sendable, Hashable {
    /// `json-file`, `local`, `none`, …
    public var type: String
    public var config: [String: String]?

    public init(type: String, config: [String: String]? = nil) {
        self.type = type
        self.config = config
    }

    enum CodingKeys: String, CodingKey { case type = "Type", config = "Config" }
}

/// One resource limit (`nofile`, `nproc`, …).
public struct Ulimit: Codable, Sendable, Hashable {
    public var name: String
    public var soft: Int64
    public var hard: Int64

    public init(name: String, soft: Int64, hard: Int64) {
        self.name = name
        self.soft = soft
        self.hard = hard
    }

    enum CodingKeys: String, CodingKey { case name = "Name", soft = "Soft", hard = "Hard" }
}

/// A host device exposed to the container.
public struct DeviceMapping: Codable, Sendable, Hashable {
    public var pathOnHost: String
    public var pathInContainer: String
    /// e.g. `rwm`.
    public var cgroupPermissions: String

    public init(pathOnHost: String, pathInContainer: String, cgroupPermissions: String = "rwm") {
        self.pathOnHost = pathOnHost
        self.pathInContainer = pathInContainer
        self.cgroupPermissions = cgroupPermissions
    }

    enum CodingKeys: String, CodingKey {
        case pathOnHost = "PathOnHost", pathInContainer = "PathInContainer", cgroupPermissions = "CgroupPermissions"
    }
}

/// `HostConfig.RestartPolicy`.
public struct RestartPolicy: Codable, Sendable, Hashable {
    /// `""`/`no`, `always`, `unless-stopped`, `on-failure`.
    public var name: String
    public var maximumRetryCount: Int?

    public init(name: String, maximumRetryCount: Int? = nil) {
        self.name = name
        self.maximumRetryCount = maximumRetryCount
    }

    enum CodingKeys: String, CodingKey { case name = "Name", maximumRetryCount = "MaximumRetryCount" }
}

/// A published port on the host.
public struct PortBinding: Codable, Sendable, Hashable {
    public var hostIp: String?
    public var hostPort: String?

    public init(hostIp: String? = nil, hostPort: String? = nil) {
        self.hostIp = hostIp
        self.hostPort = hostPort
    }

    enum CodingKeys: String, CodingKey { case hostIp = "HostIp", hostPort = "HostPort" }
}
