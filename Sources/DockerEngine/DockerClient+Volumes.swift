extension DockerClient {
    /// `POST /volumes/create`. With `name == nil` the engine picks a random name.
    /// Creating an existing name returns the existing volume.
    public func createVolume(
        name: String? = nil, labels: [String: String] = [:], driver: String? = nil,
        driverOptions: [String: String]? = nil
    ) async throws -> Volume {
        try await requestJSON(
            .post, "/volumes/create",
            json: VolumeCreateRequest(name: name, driver: driver, driverOpts: driverOptions, labels: labels))
    }

    /// `GET /volumes/{name}`.
    public func inspectVolume(name: String) async throws -> Volume {
        try await requestJSON(.get, "/volumes/\(Self.segment(name))")
    }

    /// `GET /volumes`, e.g. with `DockerFilters.label("sandcastle.managed", "true")`.
    public func listVolumes(filters: DockerFilters = DockerFilters()) async throws -> [Volume] {
        let response: VolumeListResponse = try await requestJSON(.get, "/volumes", query: [("filters", filters.queryValue)])
        return response.volumes ?? []
    }

    /// `DELETE /volumes/{name}`. A volume in use is `conflict` (unless `force`).
    public func removeVolume(name: String, force: Bool = false) async throws {
        try await request(.delete, "/volumes/\(Self.segment(name))", query: [("force", Self.bool(force))])
    }
}
