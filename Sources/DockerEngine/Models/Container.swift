/// A container's configuration: the body of `POST /containers/create` (with ``hostConfig`` and
/// ``networkingConfig``) and the `Config` of an inspect. `nil` fields are omitted.
public struct ContainerConfig: Codable, Sendable, Hashable {
    public var image: String
    public var cmd: [String]?
    public var entrypoint: [String]?
    /// `KEY=value` entries.
    public var env: [String]?
    /// `user`, `uid`, `user:group` or `uid:gid`.
    public var user: String?
    public var workingDir: String?
    public var labels: [String: String]?
    public var hostname: String?
    public var domainname: String?
    /// Keep stdin open even when nothing is attached.
    public var openStdin: Bool?
    /// Close stdin after the first attached client disconnects.
    public var stdinOnce: Bool?
    public var attachStdin: Bool?
    public var attachStdout: Bool?
    public var attachStderr: Bool?
    /// Allocate a TTY; output is then not multiplexed.
    public var tty: Bool?
    public var networkDisabled: Bool?
    /// Signal `docker stop` sends first (e.g. `SIGTERM`).
    public var stopSignal: String?
    /// Seconds `docker stop` waits before SIGKILL.
    public var stopTimeout: Int?
    /// Only sent on create; inspect returns it separately as ``ContainerInspect/hostConfig``.
    public var hostConfig: HostConfig?
    /// Only sent on create: networks to connect at creation.
    public var networkingConfig: NetworkingConfig?

    public init(image: String) {
        self.image = image
    }

    enum CodingKeys: String, CodingKey {
        case image = "Image", cmd = "Cmd", entrypoint = "Entrypoint", env = "Env", user = "User", workingDir = "WorkingDir"
        case labels = "Labels", hostname = "Hostname", domainname = "Domainname", openStdin = "OpenStdin", stdinOnce = "StdinOnce"
        case attachStdin = "AttachStdin", attachStdout = "AttachStdout", attachStderr = "AttachStderr", tty = "Tty"
        case networkDisabled = "NetworkDisabled", stopSignal = "StopSignal", stopTimeout = "StopTimeout"
        case hostConfig = "HostConfig", networkingConfig = "NetworkingConfig"
    }
}

/// Networks to join at container creation.
public struct NetworkingConfig: Codable, Sendable, Hashable {
    public var endpointsConfig: [String: EndpointSettings]

    public init(endpointsConfig: [String: EndpointSettings]) {
        self.endpointsConfig = endpointsConfig
    }

    enum CodingKeys: String, CodingKey { case endpointsConfig = "EndpointsConfig" }
}

/// A container's attachment to one network.
public struct EndpointSettings: Codable, Sendable, Hashable {
    public var aliases: [String]?
    public var networkID: String?
    public var endpointID: String?
    public var ipAddress: String?
    public var gateway: String?
    public var macAddress: String?

    public init(aliases: [String]? = nil) {
        self.aliases = aliases
    }

    enum CodingKeys: String, CodingKey {
        case aliases = "Aliases", networkID = "NetworkID", endpointID = "EndpointID", ipAddress = "IPAddress"
        case gateway = "Gateway", macAddress = "MacAddress"
    }
}

/// `POST /containers/create` answer.
public struct ContainerCreateResponse: Codable, Sendable, Hashable {
    public var id: String
    public var warnings: [String]?

    enum CodingKeys: String, CodingKey { case id = "Id", warnings = "Warnings" }
}

/// `GET /containers/{id}/json`.
public struct ContainerInspect: Codable, Sendable, Hashable {
    public var id: String
    /// With the leading `/`.
    public var name: String
    public var created: String?
    public var path: String?
    public var args: [String]?
    public var state: ContainerState
    /// The image id (`sha256:…`).
    public var image: String?
    public var config: ContainerConfig?
    public var hostConfig: HostConfig?
    public var mounts: [MountPoint]?
    public var networkSettings: NetworkSettings?
    public var restartCount: Int?
    public var logPath: String?
    public var platform: String?

    enum CodingKeys: String, CodingKey {
        case id = "Id", name = "Name", created = "Created", path = "Path", args = "Args", state = "State", image = "Image"
        case config = "Config", hostConfig = "HostConfig", mounts = "Mounts", networkSettings = "NetworkSettings"
        case restartCount = "RestartCount", logPath = "LogPath", platform = "Platform"
    }
}

/// `State` of a container inspect.
public struct ContainerState: Codable, Sendable, Hashable {
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    public var status: String
    public var running: Bool
    public var paused: Bool?
    public var restarting: Bool?
    /// Whether the kernel's OOM killer ended a process of the container.
    public var oomKilled: Bool
    public var dead: Bool?
    /// Host PID of the container's init process; 0 when not running.
    public var pid: Int
    public var exitCode: Int
    public var error: String?
    public var startedAt: String?
    public var finishedAt: String?

    enum CodingKeys: String, CodingKey {
        case status = "Status", running = "Running", paused = "Paused", restarting = "Restarting", oomKilled = "OOMKilled"
        case dead = "Dead", pid = "Pid", exitCode = "ExitCode", error = "Error", startedAt = "StartedAt", finishedAt = "FinishedAt"
    }
}

/// A mount as reported by inspect and list.
public struct MountPoint: Codable, Sendable, Hashable {
    public var type: MountType?
    /// Volume name, for volume mounts.
    public var name: String?
    public var source: String?
    public var destination: String
    public var driver: String?
    public var mode: String?
    public var rw: Bool?
    public var propagation: String?

    enum CodingKeys: String, CodingKey {
        case type = "Type", name = "Name", source = "Source", destination = "Destination", driver = "Driver", mode = "Mode"
        case rw = "RW", propagation = "Propagation"
    }
}

/// `NetworkSettings` of a container inspect.
public struct NetworkSettings: Codable, Sendable, Hashable {
    public var networks: [String: EndpointSettings]?
    public var ipAddress: String?
    public var gateway: String?

    enum CodingKeys: String, CodingKey { case networks = "Networks", ipAddress = "IPAddress", gateway = "Gateway" }
}

/// One entry of `GET /containers/json`.
public struct ContainerSummary: Codable, Sendable, Hashable {
    public var id: String
    public var names: [String]?
    public var image: String?
    public var imageID: String?
    public var command: String?
    /// Unix seconds.
    public var created: Int64?
    public var state: String?
    /// Human-readable, e.g. `Up 3 minutes`.
    public var status: String?
    public var labels: [String: String]?
    public var mounts: [MountPoint]?

    enum CodingKeys: String, CodingKey {
        case id = "Id", names = "Names", image = "Image", imageID = "ImageID", command = "Command", created = "Created"
        case state = "State", status = "Status", labels = "Labels", mounts = "Mounts"
    }
}

/// `POST /containers/{id}/wait` answer.
public struct ContainerWaitResponse: Codable, Sendable, Hashable {
    public var statusCode: Int
    public var error: WaitError?

    public struct WaitError: Codable, Sendable, Hashable {
        public var message: String?
        enum CodingKeys: String, CodingKey { case message = "Message" }
    }

    enum CodingKeys: String, CodingKey { case statusCode = "StatusCode", error = "Error" }
}

/// Which state change `wait` waits for.
public enum WaitCondition: String, Sendable {
    /// Returns at once if the container is not running.
    case notRunning = "not-running"
    /// Waits for the next exit, even if the container has not started yet (call before start).
    case nextExit = "next-exit"
    /// Waits until the container is removed.
    case removed
}

/// One sample of `GET /containers/{id}/stats?stream=false` (the fields Sandcastle reads).
public struct ContainerStats: Codable, Sendable, Hashable {
    public var read: String?
    public var cpuStats: CPUStats?
    public var precpuStats: CPUStats?
    public var memoryStats: MemoryStats?
    public var pidsStats: PidsStats?
    public var networks: [String: NetworkStats]?

    public struct CPUStats: Codable, Sendable, Hashable {
        public var cpuUsage: CPUUsage?
        public var systemCPUUsage: UInt64?
        public var onlineCPUs: Int?

        enum CodingKeys: String, CodingKey {
            case cpuUsage = "cpu_usage", systemCPUUsage = "system_cpu_usage", onlineCPUs = "online_cpus"
        }
    }

    public struct CPUUsage: Codable, Sendable, Hashable {
        /// Nanoseconds of CPU time.
        public var totalUsage: UInt64?
        public var usageInKernelmode: UInt64?
        public var usageInUsermode: UInt64?

        enum CodingKeys: String, CodingKey {
            case totalUsage = "total_usage", usageInKernelmode = "usage_in_kernelmode", usageInUsermode = "usage_in_usermode"
        }
    }

    public struct MemoryStats: Codable, Sendable, Hashable {
        public var usage: UInt64?
        public var maxUsage: UInt64?
        public var limit: UInt64?
        public var stats: [String: UInt64]?

        enum CodingKeys: String, CodingKey { case usage, maxUsage = "max_usage", limit, stats }
    }

    public struct PidsStats: Codable, Sendable, Hashable {
        public var current: UInt64?
        public var limit: UInt64?
    }

    public struct NetworkStats: Codable, Sendable, Hashable {
        public var rxBytes: UInt64?
        public var txBytes: UInt64?

        enum CodingKeys: String, CodingKey { case rxBytes = "rx_bytes", txBytes = "tx_bytes" }
    }

    enum CodingKeys: String, CodingKey {
        case read, cpuStats = "cpu_stats", precpuStats = "precpu_stats", memoryStats = "memory_stats"
        case pidsStats = "pids_stats", networks
    }
}

/// The answer of `GET /containers/{id}/top`: `ps` column titles and one row per process.
public struct ContainerTop: Codable, Sendable, Hashable {
    public var titles: [String]
    public var processes: [[String]]?

    enum CodingKeys: String, CodingKey {
        case titles = "Titles", processes = "Processes"
    }

    /// The command column of every process.
    public var commands: [String] {
        let column = titles.firstIndex(of: "CMD") ?? titles.firstIndex(of: "COMMAND") ?? (titles.count - 1)
        return (processes ?? []).compactMap { $0.indices.contains(column) ? $0[column] : nil }
    }
}
