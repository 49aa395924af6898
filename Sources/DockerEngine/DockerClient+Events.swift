import Foundation

extension DockerClient {
    /// `GET /events`, decoded as they arrive.
    ///
    /// Without `until` the stream stays open until the sequence is dropped or its task cancelled;
    /// with `until` in the past it replays and ends. Filter with e.g.
    /// `["type": ["container"], "label": ["sandcastle.managed=true"], "event": ["die", "oom"]]`.
    public func events(since: Date? = nil, until: Date? = nil, filters: DockerFilters = DockerFilters()) async throws -> DockerJSONStream<DockerEvent> {
        let response = try await stream(
            .get, "/events",
            query: [
                ("since", since.map(Self.timestamp)), ("until", until.map(Self.timestamp)), ("filters", filters.queryValue),
            ])
        return DockerJSONStream(body: response.body, host: host)
    }

    /// Docker's `seconds.nanoseconds` time format.
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        let nanos = min(Int(((interval - seconds) * 1_000_000_000).rounded()), 999_999_999)
        let padded = String(nanos)
        return "\(Int64(seconds)).\(String(repeating: "0", count: max(0, 9 - padded.count)))\(padded)"
    }
}
