import JSONValues

/// `/api/credentials` (admin keys): named credentials for the steps that declare them.
extension SandcastleAPIClient {
    /// `GET /api/credentials`: every credential, masked.
    public func credentials() async throws -> [RemoteCredential] {
        try await call([RemoteCredential].self, .get, "/credentials")
    }

    /// `GET /api/credentials/{name}`: one credential, masked.
    public func credential(name: String) async throws -> RemoteCredential {
        try await call(RemoteCredential.self, .get, "/credentials/\(Self.segment(name))")
    }

    /// `PUT /api/credentials/{name}` `{value}`: stores (or replaces) it; answers it masked.
    @discardableResult
    public func setCredential(name: String, value: String) async throws -> RemoteCredential {
        try await call(RemoteCredential.self, .put, "/credentials/\(Self.segment(name))", body: ["value": .string(value)])
    }

    /// `DELETE /api/credentials/{name}`.
    public func deleteCredential(name: String) async throws {
        _ = try await call(.delete, "/credentials/\(Self.segment(name))")
    }
}
