import Foundation
import HTTPTransport
import Synchronization

/// A typed client for the Docker Engine API.
///
/// The API version is negotiated once (`GET /version`, then the lower of the engine's version
/// and ``maxAPIVersion``) and every call is prefixed with `/v<version>`. All methods throw
/// ``DockerError``; engine error responses keep the engine's message verbatim.
///
/// The client is cheap to share: it holds one ``HTTPClient`` (one I/O thread, pooled
/// connections). Attach streams get their own connection each.
public final class DockerClient: Sendable {
    /// The newest API version this client speaks.
    public static let maxAPIVersion = "1.47"
    /// The oldest the models here are written against (Docker 20.10).
    public static let minAPIVersion = "1.41"

    public let host: DockerHost
    /// The underlying HTTP client, for calls this type does not wrap.
    public let http: HTTPClient
    /// Timeout for ordinary (non-streaming) calls.
    public let requestTimeout: Duration

    private enum Negotiation {
        case pending
        case inFlight(Task<String, any Error>)
        case done(String)
    }

    private let negotiation: Mutex<Negotiation>
    let encoder: JSONEncoder
    let decoder: JSONDecoder

    /// Creates a client without contacting the engine; the version is negotiated on first use.
    public init(
        host: DockerHost = .unixSocket(), requestTimeout: Duration = .seconds(120),
        configuration: HTTPClient.Configuration = HTTPClient.Configuration(userAgent: "sandcastle-docker")
    ) throws {
        self.host = host
        self.requestTimeout = requestTimeout
        do {
            self.http = try HTTPClient(endpoint: host.endpoint, configuration: configuration)
        } catch let error as HTTPTransportError {
            throw DockerError.fromTransport(error, host: host)
        }
        self.negotiation = Mutex(host.pinnedAPIVersion.map { .done($0) } ?? .pending)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.encoder = encoder
        self.decoder = JSONDecoder()
    }

    /// Creates a client and negotiates the API version now, so an unreachable engine is reported here.
    public static func connect(to host: DockerHost = .unixSocket(), requestTimeout: Duration = .seconds(120)) async throws -> DockerClient {
        let client = try DockerClient(host: host, requestTimeout: requestTimeout)
        _ = try await client.apiVersion()
        return client
    }

    // MARK: Version negotiation

    /// The API version in use, negotiating it on first call.
    public func apiVersion() async throws -> String {
        enum Step {
            case known(String)
            case wait(Task<String, any Error>)
        }
        let step: Step = negotiation.withLock { state in
            switch state {
            case .done(let version):
                return .known(version)
            case .inFlight(let task):
                return .wait(task)
            case .pending:
                // One negotiation serves every concurrent first caller.
                let task = Task { try await self.negotiate() }
                state = .inFlight(task)
                return .wait(task)
            }
        }
        let task: Task<String, any Error>
        switch step {
        case .known(let version): return version
        case .wait(let pending): task = pending
        }
        do {
            let version = try await task.value
            negotiation.withLock { $0 = .done(version) }
            return version
        } catch {
            // Do not cache a failure: the engine may come up later.
            negotiation.withLock { state in
                if case .inFlight = state { state = .pending }
            }
            throw error
        }
    }

    private func negotiate() async throws -> String {
        let info: VersionInfo = try await decode(VersionInfo.self, from: rawRequest(.get, "/version"), request: "GET /version")
        return Self.negotiatedVersion(server: info.apiVersion)
    }

    /// The lower of the engine's API version and ``maxAPIVersion``.
    public static func negotiatedVersion(server: String) -> String {
        compareVersions(server, maxAPIVersion) < 0 ? server : maxAPIVersion
    }

    /// Compares dotted versions numerically ("1.9" < "1.41").
    static func compareVersions(_ a: String, _ b: String) -> Int {
        let lhs = a.split(separator: ".").map { Int($0) ?? 0 }
        let rhs = b.split(separator: ".").map { Int($0) ?? 0 }
        for i in 0..<max(lhs.count, rhs.count) {
            let l = i < lhs.count ? lhs[i] : 0
            let r = i < rhs.count ? rhs[i] : 0
            if l != r { return l < r ? -1 : 1 }
        }
        return 0
    }

    // MARK: System

    /// `GET /_ping`: succeeds when the engine answers.
    public func ping() async throws {
        let response = try await rawRequest(.get, "/_ping")
        guard response.isSuccess else {
            throw DockerError.fromResponse(status: response.status, body: response.body, request: "GET /_ping")
        }
    }

    /// `GET /version` (unversioned, so it works before negotiation).
    public func version() async throws -> VersionInfo {
        try await decode(VersionInfo.self, from: rawRequest(.get, "/version"), request: "GET /version")
    }

    /// `GET /info`.
    public func info() async throws -> SystemInfo {
        try await requestJSON(.get, "/info")
    }

    // MARK: Request plumbing

    /// Sends an unversioned request and maps transport failures.
    func rawRequest(_ method: HTTPMethod, _ path: String, timeout: Duration? = nil) async throws -> HTTPResponse {
        do {
            return try await http.send(HTTPRequest(method: method, path: path, timeout: timeout ?? requestTimeout))
        } catch let error as HTTPTransportError {
            throw DockerError.fromTransport(error, host: host)
        }
    }

    /// `/v1.xx` + `path` + encoded query.
    func versionedPath(_ path: String, query: [(String, String?)] = []) async throws -> String {
        let version = try await apiVersion()
        return HTTPRequest.path("/v\(version)\(path)", query: query)
    }

    /// Sends a versioned request and returns the response if its status is 2xx (or in `accept`).
    @discardableResult
    func request(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], body: HTTPRequestBody = .none,
        contentType: String? = nil, timeout: Duration? = nil, accept: Set<Int> = []
    ) async throws -> HTTPResponse {
        let fullPath = try await versionedPath(path, query: query)
        var headers = HTTPHeaders()
        if let contentType { headers["Content-Type"] = contentType }
        let response: HTTPResponse
        do {
            response = try await http.send(
                HTTPRequest(
                    method: method, path: fullPath, headers: headers, body: body,
                    timeout: timeout ?? requestTimeout))
        } catch let error as HTTPTransportError {
            throw DockerError.fromTransport(error, host: host)
        }
        guard response.isSuccess || accept.contains(response.status) else {
            throw DockerError.fromResponse(status: response.status, body: response.body, request: "\(method) \(path)")
        }
        return response
    }

    /// Sends a versioned request with a JSON body.
    @discardableResult
    func request(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], json: some Encodable,
        timeout: Duration? = nil, accept: Set<Int> = []
    ) async throws -> HTTPResponse {
        let data: Data
        do {
            data = try encoder.encode(json)
        } catch {
            throw DockerError(.invalidArgument, "cannot encode the body of \(method) \(path): \(error)", cause: error)
        }
        return try await request(
            method, path, query: query, body: .bytes(Array(data)), contentType: "application/json",
            timeout: timeout, accept: accept)
    }

    /// Sends a versioned request and decodes the JSON response.
    func requestJSON<T: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [],
        timeout: Duration? = nil, as type: T.Type = T.self
    ) async throws -> T {
        let response = try await request(method, path, query: query, timeout: timeout)
        return try decode(T.self, from: response, request: "\(method) \(path)")
    }

    /// Sends a versioned request with a JSON body and decodes the JSON response.
    func requestJSON<T: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], json: some Encodable,
        timeout: Duration? = nil, as type: T.Type = T.self
    ) async throws -> T {
        let response = try await request(method, path, query: query, json: json, timeout: timeout)
        return try decode(T.self, from: response, request: "\(method) \(path)")
    }

    func decode<T: Decodable>(_ type: T.Type, from response: HTTPResponse, request: String) throws -> T {
        do {
            return try decoder.decode(T.self, from: Data(response.body))
        } catch {
            let excerpt = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw DockerError(
                .invalidResponse, "cannot decode the engine's answer to \(request): \(error) — body: \(excerpt)",
                statusCode: response.status, cause: error)
        }
    }

    /// Opens a versioned streaming request; throws the engine's error for a non-2xx status.
    func stream(
        _ method: HTTPMethod, _ path: String, query: [(String, String?)] = [], body: HTTPRequestBody = .none,
        contentType: String? = nil, headers extra: HTTPHeaders = HTTPHeaders(), timeout: Duration? = nil
    ) async throws -> HTTPStreamingResponse {
        let fullPath = try await versionedPath(path, query: query)
        var headers = extra
        if let contentType { headers["Content-Type"] = contentType }
        let response: HTTPStreamingResponse
        do {
            response = try await http.stream(HTTPRequest(method: method, path: fullPath, headers: headers, body: body, timeout: timeout))
        } catch let error as HTTPTransportError {
            throw DockerError.fromTransport(error, host: host)
        }
        guard response.isSuccess else {
            let body = (try? await response.collect(upTo: 1 << 20)) ?? []
            throw DockerError.fromResponse(status: response.status, body: body, request: "\(method) \(path)")
        }
        return response
    }

    /// Maps errors thrown while iterating a body stream.
    func mapStreamError(_ error: any Error) -> any Error {
        if let transport = error as? HTTPTransportError { return DockerError.fromTransport(transport, host: host) }
        return error
    }

    /// Percent-encodes one path segment (container ids, volume names). Image references keep
    /// their `/` and `:`: the engine routes `/images/{name:.*}` on the raw path.
    static func segment(_ value: String) -> String { HTTPRequest.percentEncode(value) }

    static func imageSegment(_ reference: String) -> String {
        reference.split(separator: "/", omittingEmptySubsequences: false)
            .map { part in part.split(separator: ":", omittingEmptySubsequences: false).map { HTTPRequest.percentEncode(String($0)) }.joined(separator: ":") }
            .joined(separator: "/")
    }

    static func bool(_ value: Bool) -> String { value ? "1" : "0" }
}
