/// One message of `GET /events`.
public struct DockerEvent: Codable, Sendable, Hashable {
    /// `container`, `image`, `volume`, `network`, `daemon`, …
    public var type: String
    /// `create`, `start`, `die`, `oom`, `destroy`, `exec_start: …`, …
    public var action: String
    public var actor: Actor
    public var scope: String?
    /// Unix seconds.
    public var time: Int64?
    public var timeNano: Int64?

    /// The object the event is about.
    public struct Actor: Codable, Sendable, Hashable {
        public var id: String
        /// Labels of the object plus details such as `exitCode`, `name`, `image`, `signal`.
        public var attributes: [String: String]?

        enum CodingKeys: String, CodingKey { case id = "ID", attributes = "Attributes" }
    }

    enum CodingKeys: String, CodingKey {
        case type = "Type", action = "Action", actor = "Actor", scope = "scope", time = "time", timeNano = "timeNano"
    }
}
