/// `GET /images/{name}/json`.
public struct ImageInspect: Codable, Sendable, Hashable {
    /// `sha256:…`.
    public var id: String
    public var repoTags: [String]?
    public var repoDigests: [String]?
    public var created: String?
    public var size: Int64?
    public var architecture: String?
    public var os: String?
    public var config: ImageConfig?

    enum CodingKeys: String, CodingKey {
        case id = "Id", repoTags = "RepoTags", repoDigests = "RepoDigests", created = "Created", size = "Size"
        case architecture = "Architecture", os = "Os", config = "Config"
    }
}

/// The runtime defaults baked into an image.
public struct ImageConfig: Codable, Sendable, Hashable {
    public var user: String?
    public var env: [String]?
    public var cmd: [String]?
    public var entrypoint: [String]?
    public var workingDir: String?
    public var labels: [String: String]?
    public var stopSignal: String?

    enum CodingKeys: String, CodingKey {
        case user = "User", env = "Env", cmd = "Cmd", entrypoint = "Entrypoint", workingDir = "WorkingDir"
        case labels = "Labels", stopSignal = "StopSignal"
    }
}

/// One entry of `GET /images/json`.
public struct ImageSummary: Codable, Sendable, Hashable {
    public var id: String
    public var parentID: String?
    public var repoTags: [String]?
    public var repoDigests: [String]?
    /// Unix seconds.
    public var created: Int64?
    public var size: Int64?
    public var labels: [String: String]?
    public var containers: Int?

    enum CodingKeys: String, CodingKey {
        case id = "Id", parentID = "ParentId", repoTags = "RepoTags", repoDigests = "RepoDigests", created = "Created"
        case size = "Size", labels = "Labels", containers = "Containers"
    }
}

/// One entry of `DELETE /images/{name}`'s answer.
public struct ImageDeleteResponseItem: Codable, Sendable, Hashable {
    public var untagged: String?
    public var deleted: String?

    enum CodingKeys: String, CodingKey { case untagged = "Untagged", deleted = "Deleted" }
}

/// What an image build produced.
public struct BuildResult: Sendable, Hashable {
    /// The built image's id (`sha256:…`), when the engine reported it.
    public var imageID: String?
    /// The build's output lines, in order.
    public var log: [String]
}
