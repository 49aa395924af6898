import Foundation

/// `GET /version`.
public struct VersionInfo: Codable, Sendable, Hashable {
    public var version: String
    public var apiVersion: String
    public var minAPIVersion: String?
    public var os: String?
    public var arch: String?
    public var kernelVersion: String?
    public var gitCommit: String?
    public var goVersion: String?

    enum CodingKeys: String, CodingKey {
        case version = "Version", apiVersion = "ApiVersion", minAPIVersion = "MinAPIVersion", os = "Os", arch = "Arch"
        case kernelVersion = "KernelVersion", gitCommit = "GitCommit", goVersion = "GoVersion"
    }
}

/// The parts of `GET /info` Sandcastle looks at.
public struct SystemInfo: Codable, Sendable, Hashable {
    public var id: String?
    public var name: String?
    public var serverVersion: String?
    public var containers: Int?
    public var containersRunning: Int?
    public var images: Int?
    public var driver: String?
    public var memTotal: Int64?
    public var ncpu: Int?
    public var operatingSystem: String?
    public var osType: String?
    public var architecture: String?
    public var kernelVersion: String?
    public var cgroupDriver: String?
    public var cgroupVersion: String?
    public var securityOptions: [String]?
    public var defaultRuntime: String?
    public var dockerRootDir: String?
    /// Whether the kernel's cgroups support memory, swap and pids limits.
    public var memoryLimit: Bool?
    public var swapLimit: Bool?
    public var pidsLimit: Bool?

    enum CodingKeys: String, CodingKey {
        case memoryLimit = "MemoryLimit", swapLimit = "SwapLimit", pidsLimit = "PidsLimit"
        case id = "ID", name = "Name", serverVersion = "ServerVersion", containers = "Containers"
        case containersRunning = "ContainersRunning", images = "Images", driver = "Driver", memTotal = "MemTotal"
        case ncpu = "NCPU", operatingSystem = "OperatingSystem", osType = "OSType", architecture = "Architecture"
        case kernelVersion = "KernelVersion", cgroupDriver = "CgroupDriver", cgroupVersion = "CgroupVersion"
        case securityOptions = "SecurityOptions", defaultRuntime = "DefaultRuntime", dockerRootDir = "DockerRootDir"
    }
}

/// Docker's `filters` query parameter: a JSON object of name → values.
public struct DockerFilters: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public var values: [String: [String]]

    public init(_ values: [String: [String]] = [:]) { self.values = values }

    public init(dictionaryLiteral elements: (String, [String])...) {
        values = Dictionary(elements, uniquingKeysWith: +)
    }

    /// Matches objects carrying every one of these labels (`key` or `key=value`).
    public static func labels(_ labels: [String]) -> DockerFilters { DockerFilters(["label": labels]) }

    /// Matches objects carrying `key=value`.
    public static func label(_ key: String, _ value: String) -> DockerFilters { DockerFilters(["label": ["\(key)=\(value)"]]) }

    /// Adds a value under `name`.
    public mutating func add(_ name: String, _ value: String) { values[name, default: []].append(value) }

    /// The JSON text for the query string, or `nil` when empty.
    var queryValue: String? { values.isEmpty ? nil : jsonText(values) }
}

/// Compact JSON with sorted keys and `/` left as is, so the text stays readable.
///
/// Foundation's encoder, not an escaper of our own: these are Docker query parameters and a
/// document rendered once per process. The one hand-written escaper is Workflow's `JSONValue`,
/// which the engine runs for every event it stores.
func jsonText(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Strings, arrays and dictionaries of strings always encode (only non-finite numbers throw).
    guard let data = try? encoder.encode(value) else { return "null" }
    return String(decoding: data, as: UTF8.self)
}
