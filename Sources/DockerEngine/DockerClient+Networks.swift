extension DockerClient {
    /// `POST /networks/create`; returns the network id.
    public func createNetwork(
        name: String, driver: String = "bridge", internal: Bool = false, attachable: Bool = false,
        labels: [String: String] = [:], options: [String: String]? = nil
    ) async throws -> String {
        let response: NetworkCreateResponse = try await requestJSON(
            .post, "/networks/create",
            json: NetworkCreateRequest(
                name: name, driver: driver, internal: `internal`, attachable: attachable, enableIPv6: nil, labels: labels, options: options))
        return response.id
    }

    /// `GET /networks/{id}`.
    public func inspectNetwork(id: String) async throws -> Network {
        try await requestJSON(.get, "/networks/\(Self.segment(id))")
    }

    /// `GET /networks`.
    public func listNetworks(filters: DockerFilters = DockerFilters()) async throws -> [Network] {
        try await requestJSON(.get, "/networks", query: [("filters", filters.queryValue)])
    }

    /// `DELETE /networks/{id}`.
    public func removeNetwork(id: String) async throws {
        try await request(.delete, "/networks/\(Self.segment(id))")
    }

    /// `POST /networks/{id}/connect`.
    public func connectNetwork(id: String, container: String, aliases: [String]? = nil) async throws {
        try await request(
            .post, "/networks/\(Self.segment(id))/connect",
            json: NetworkConnectRequest(container: container, endpointConfig: aliases.map { EndpointSettings(aliases: $0) }))
    }

    /// `POST /networks/{id}/disconnect`.
    public func disconnectNetwork(id: String, container: String, force: Bool = false) async throws {
        try await request(
            .post, "/networks/\(Self.segment(id))/disconnect",
            json: NetworkConnectRequest(container: container, endpointConfig: nil, force: force))
    }
}
