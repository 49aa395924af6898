/// A Docker volume.
public struct Volume: Codable, Sendable, Hashable {
    public var name: String
    public var driver: String?
    /// Where the volume lives on the engine's host.
    public var mountpoint: String?
    public var labels: [String: String]?
    public var scope: String?
    public var createdAt: String?
    public var options: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", mountpoint = "Mountpoint", labels = "Labels", scope = "Scope"
        case createdAt = "CreatedAt", options = "Options"
    }
}

struct VolumeCreateRequest: Encodable {
    var name: String?
    var driver: String?
    var driverOpts: [String: String]?
    var labels: [String: String]?

    enum CodingKeys: String, CodingKey { case name = "Name", driver = "Driver", driverOpts = "DriverOpts", labels = "Labels" }
}

struct VolumeListResponse: Decodable {
    var volumes: [Volume]?
    var warnings: [String]?

    enum CodingKeys: String, CodingKey { case volumes = "Volumes", warnings = "Warnings" }
}

/// A Docker network.
public struct Network: Codable, Sendable, Hashable {
    public var name: String
    public var id: String
    public var driver: String?
    public var scope: String?
    public var `internal`: Bool?
    public var attachable: Bool?
    public var labels: [String: String]?
    public var options: [String: String]?
    /// Attached containers by id (filled by inspect).
    public var containers: [String: NetworkContainer]?

    enum CodingKeys: String, CodingKey {
        case name = "Name", id = "Id", driver = "Driver", scope = "Scope", `internal` = "Internal", attachable = "Attachable"
        case labels = "Labels", options = "Options", containers = "Containers"
    }
}

/// A container attached to a ``Network``.
public struct NetworkContainer: Codable, Sendable, Hashable {
    public var name: String?
    public var ipv4Address: String?
    public var macAddress: String?

    enum CodingKeys: String, CodingKey { case name = "Name", ipv4Address = "IPv4Address", macAddress = "MacAddress" }
}

struct NetworkCreateRequest: Encodable {
    var name: String
    var driver: String?
    var `internal`: Bool?
    var attachable: Bool?
    var enableIPv6: Bool?
    var labels: [String: String]?
    var options: [String: String]?

    enum CodingKeys: String, CodingKey {
        case name = "Name", driver = "Driver", `internal` = "Internal", attachable = "Attachable", enableIPv6 = "EnableIPv6"
        case labels = "Labels", options = "Options"
    }
}

struct NetworkCreateResponse: Decodable {
    var id: String
    var warning: String?

    enum CodingKeys: String, CodingKey { case id = "Id", warning = "Warning" }
}

struct NetworkConnectRequest: Encodable {
    var container: String
    var endpointConfig: EndpointSettings?
    var force: Bool?

    enum CodingKeys: String, CodingKey { case container = "Container", endpointConfig = "EndpointConfig", force = "Force" }
}
