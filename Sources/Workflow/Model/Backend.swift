/// Where a step's sandbox runs. An open set: a backend this build does not ship parses
/// and is reported by validation, rather than needing edits wherever backends are listed.
public struct Backend: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Hardened containers on the local Docker engine.
    public static let docker = Backend(rawValue: "docker")
    /// E2B's Firecracker sandboxes (needs `E2B_API_KEY` where the workflow runs).
    public static let e2b = Backend(rawValue: "e2b")
    /// Let the engine choose per attempt: local Docker while healthy with capacity, else E2B.
    public static let auto = Backend(rawValue: "auto")

    /// Every backend name the schema knows.
    public static let known: [Backend] = [.docker, .e2b, .auto]
    /// What this build can run. Whether a backend is configured where the workflow runs is the
    /// engine's check (a step asking for an unconfigured one fails before it creates anything).
    public static let available: Set<Backend> = [.docker, .e2b, .auto]
}
