import Foundation
import HTTPTransport
import Sandbox

/// Where and how to reach E2B (or an E2B-compatible server such as `sandcastle serve`).
public struct E2BConfiguration: Sendable {
    public var apiKey: String
    /// The control plane, e.g. `https://api.e2b.app`.
    public var apiURL: String
    /// One envd URL for every sandbox (`E2B_SANDBOX_URL`); nil means E2B's own routing.
    public var sandboxURL: String?
    /// The sandbox domain (`E2B_DOMAIN`, default `e2b.app`).
    public var domain: String
    /// How long a control-plane or unary envd call may take.
    public var requestTimeout: Duration

    public init(
        apiKey: String, apiURL: String? = nil, sandboxURL: String? = nil, domain: String = "e2b.app",
        requestTimeout: Duration = .seconds(60)
    ) {
        self.apiKey = apiKey
        self.domain = domain
        self.apiURL = apiURL ?? "https://api.\(domain)"
        self.sandboxURL = sandboxURL
        self.requestTimeout = requestTimeout
    }

    /// Reads `E2B_API_KEY` (required), `E2B_DOMAIN`, `E2B_API_URL`, `E2B_SANDBOX_URL`, as the SDK does.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> E2BConfiguration {
        guard let key = environment["E2B_API_KEY"], !key.isEmpty else {
            throw SandboxError(.unauthorized, "E2B_API_KEY is not set: the E2B backend needs an API key")
        }
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        return E2BConfiguration(
            apiKey: key, apiURL: value("E2B_API_URL"), sandboxURL: value("E2B_SANDBOX_URL"),
            domain: value("E2B_DOMAIN") ?? "e2b.app")
    }

    /// E2B's own domains, whose edge routes envd traffic by the `E2b-Sandbox-Id` header.
    static let e2bDomains: Set<String> = ["e2b.app", "e2b.dev", "e2b.pro", "e2b-staging.dev"]

    /// The envd base URL for a sandbox, in the SDK's order: the override, E2B's shared edge,
    /// else the per-sandbox host `49983-<id>.<domain>`.
    public func envdURL(sandboxID: String, domain returned: String?) -> String {
        if let sandboxURL { return sandboxURL }
        let domain = returned ?? self.domain
        if Self.e2bDomains.contains(domain) { return "https://sandbox.\(domain)" }
        return "https://49983-\(sandboxID).\(domain)"
    }
}

/// Sandboxes on E2B (or any server speaking its API) behind the sandbox protocol.
///
/// Differences from the Docker backend, inherent to E2B: `execute` has no persistent shell
/// (each command is its own `bash -l -c`, so `cd` and variables do not carry over), `profile`,
/// `workspace` and resource overrides are not E2B's to honour, and only SIGKILL/SIGTERM can be
/// sent to a process.
public struct E2BSandboxBackend: SandboxBackend {
    public var name: String { "e2b" }
    public let configuration: E2BConfiguration
    let api: HTTPClient
    /// E2B's default lifetime; the caller extends it through the sandbox if it needs longer.
    public var timeoutSeconds: Int

    public init(configuration: E2BConfiguration, timeoutSeconds: Int = 300) throws {
        guard let endpoint = HTTPEndpoint(url: configuration.apiURL) else {
            throw SandboxError(.invalidArgument, "E2B API URL '\(configuration.apiURL)' is not an http(s) URL")
        }
        self.configuration = configuration
        self.timeoutSeconds = timeoutSeconds
        self.api = try HTTPClient(endpoint: endpoint, configuration: HTTPClient.Configuration(userAgent: "sandcastle-e2b"))
    }

    /// `spec.image` is the E2B template id; the environment becomes the sandbox's `envVars`.
    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        try spec.validate()
        if spec.workspace != nil { throw SandboxError(.invalidArgument, "E2B sandboxes have no named workspaces") }
        if spec.filesBeneath != nil { throw SandboxError(.unsupported, "E2B sandboxes cannot confine their files to a directory") }
        var body: [String: Any] = [
            "templateID": spec.image, "timeout": timeoutSeconds, "metadata": spec.labels,
            "envVars": spec.environment,
        ]
        if let network = spec.network { body["allow_internet_access"] = network != .none }
        let response: HTTPResponse
        do {
            response = try await call(.post, "/v2/sandboxes", json: body, expect: [201])
        } catch let error as SandboxError
            where [.invalidArgument, .notFound].contains(error.code)
            && error.message.lowercased().contains("template")
        {
            // A missing template is E2B's missing image: the same code the Docker backend gives.
            throw SandboxError(.imageNotFound, "E2B has no template '\(spec.image)': \(error.message)", cause: error)
        }
        let created = try JSONDecoder().decode(CreatedSandbox.self, from: Data(response.body))
        return try sandbox(created, lifetimeSeconds: timeoutSeconds)
    }

    /// Attaches to a running sandbox by id (`POST /v2/sandboxes/{id}/connect`), setting its
    /// lifetime to `timeoutSeconds` from now; a paused one is resumed by E2B.
    ///
    /// - Throws: ``SandboxError`` `.sandboxGone` when E2B does not know the id (killed or expired).
    public func connect(sandboxID: String, timeoutSeconds: Int? = nil) async throws -> E2BSandbox {
        let lifetime = timeoutSeconds ?? self.timeoutSeconds
        do {
            let response = try await call(
                .post, "/v2/sandboxes/\(HTTPRequest.percentEncode(sandboxID))/connect",
                json: ["timeout": lifetime], expect: [200, 201])
            return try sandbox(try JSONDecoder().decode(CreatedSandbox.self, from: Data(response.body)), lifetimeSeconds: lifetime)
        } catch let error as SandboxError where error.code == .notFound {
            throw SandboxError(
                .sandboxGone, "E2B sandbox \(sandboxID) is gone (killed, or its timeout ran out): \(error.message)",
                cause: error)
        }
    }

    /// Sets how long a sandbox lives from now (`POST /sandboxes/{id}/timeout`): E2B kills it then.
    public func setTimeout(sandboxID: String, seconds: Int) async throws {
        do {
            _ = try await call(
                .post, "/sandboxes/\(HTTPRequest.percentEncode(sandboxID))/timeout", json: ["timeout": seconds],
                expect: [204, 200])
        } catch let error as SandboxError where error.code == .notFound {
            throw SandboxError(
                .sandboxGone, "E2B sandbox \(sandboxID) is gone (killed, or its timeout ran out): \(error.message)",
                cause: error)
        }
    }

    /// One page of running sandboxes (`GET /v2/sandboxes`), optionally only those whose metadata
    /// has every given entry; pass the page's `nextToken` back for the next one.
    public func list(metadata: [String: String] = [:], limit: Int? = nil, nextToken: String? = nil) async throws -> E2BSandboxPage {
        var query: [(String, String)] = [("state", "running")]
        if !metadata.isEmpty {
            // The SDK's encoding: the filter is itself a URL-encoded `k=v&k2=v2` string.
            let filter = metadata.sorted { $0.key < $1.key }
                .map { "\(HTTPRequest.percentEncode($0.key))=\(HTTPRequest.percentEncode($0.value))" }.joined(separator: "&")
            query.append(("metadata", filter))
        }
        if let limit { query.append(("limit", String(limit))) }
        if let nextToken { query.append(("nextToken", nextToken)) }
        let response = try await call(.get, HTTPRequest.path("/v2/sandboxes", query: query), expect: [200])
        let listed = try JSONDecoder().decode([E2BSandboxSummary].self, from: Data(response.body))
        let token = response.headers["x-next-token"].flatMap { $0.isEmpty ? nil : $0 }
        return E2BSandboxPage(sandboxes: listed, nextToken: token)
    }

    /// Kills a sandbox; an unknown one is not an error (it is gone either way).
    func kill(_ id: String) async throws {
        _ = try await call(.delete, "/sandboxes/\(HTTPRequest.percentEncode(id))", expect: [204, 200, 404])
    }

    private func sandbox(_ created: CreatedSandbox, lifetimeSeconds: Int) throws -> E2BSandbox {
        let envd = configuration.envdURL(sandboxID: created.sandboxID, domain: created.domain)
        guard let endpoint = HTTPEndpoint(url: envd) else {
            throw SandboxError(.invalidArgument, "envd URL '\(envd)' is not an http(s) URL")
        }
        let client = try HTTPClient(endpoint: endpoint, configuration: HTTPClient.Configuration(userAgent: "sandcastle-e2b"))
        return E2BSandbox(
            id: created.sandboxID, accessToken: created.envdAccessToken, envd: client, backend: self,
            expires: ContinuousClock.now + .seconds(lifetimeSeconds))
    }

    struct CreatedSandbox: Decodable {
        var sandboxID: String
        var envdAccessToken: String?
        var domain: String?
    }

    /// A control-plane call with the SDK's retry policy: 429/502/503/504 up to three times,
    /// honouring `Retry-After`, else backing off from 100 ms.
    func call(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, expect: Set<Int>) async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["X-API-KEY": configuration.apiKey]
        var body = HTTPRequestBody.none
        if let json {
            headers.add("Content-Type", "application/json")
            body = .bytes(Array(try JSONSerialization.data(withJSONObject: json)))
        }
        let request = HTTPRequest(method: method, path: path, headers: headers, body: body, timeout: configuration.requestTimeout)
        var attempt = 0
        while true {
            let response: HTTPResponse
            do {
                response = try await api.send(request)
            } catch {
                throw SandboxError(.unavailable, "E2B API at \(configuration.apiURL) cannot be reached: \(error)", cause: error)
            }
            if expect.contains(response.status) { return response }
            attempt += 1
            if [429, 502, 503, 504].contains(response.status), attempt <= 3 {
                let delay = response.headers["Retry-After"].flatMap(Double.init) ?? 0.1 * pow(2, Double(attempt - 1))
                try await Task.sleep(for: .milliseconds(Int(min(delay, 10) * 1000)))
                continue
            }
            throw Self.error(response, doing: "\(method) \(path)")
        }
    }

    /// E2B's `{"code","message"}` error as a ``SandboxError`` with E2B's message.
    static func error(_ response: HTTPResponse, doing what: String) -> SandboxError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let message = (object?["message"] as? String) ?? (response.bodyText.isEmpty ? "HTTP \(response.status)" : response.bodyText)
        switch response.status {
        case 400, 422: return SandboxError(.invalidArgument, "E2B rejected \(what): \(message)")
        case 401, 403: return SandboxError(.unauthorized, "E2B refused the API key: \(message)")
        case 404: return SandboxError(.notFound, "E2B: \(message)")
        case 409: return SandboxError(.alreadyExists, "E2B: \(message)")
        case 429:
            let after = response.headers["Retry-After"].map { " (retry after \($0) s)" } ?? ""
            return SandboxError(.rateLimited, "E2B rate-limited \(what)\(after): \(message)")
        case 501: return SandboxError(.unsupported, "E2B does not support \(what): \(message)")
        case 500...: return SandboxError(.unavailable, "E2B failed \(what) (HTTP \(response.status)): \(message)")
        default: return SandboxError(.internal, "E2B answered \(what) with HTTP \(response.status): \(message)")
        }
    }
}

/// A running sandbox as E2B lists it.
public struct E2BSandboxSummary: Sendable, Decodable, Hashable {
    public var sandboxID: String
    public var templateID: String
    public var alias: String?
    public var metadata: [String: String]?
    public var startedAt: String?
    public var endAt: String?
}

/// One page of ``E2BSandboxBackend/list(metadata:limit:nextToken:)``.
public struct E2BSandboxPage: Sendable {
    public var sandboxes: [E2BSandboxSummary]
    /// Pass it back for the next page; nil on the last.
    public var nextToken: String?
}

extension E2BSandboxBackend {
    /// Kills every running sandbox whose metadata has all of `labels` (sandboxes carry their
    /// spec's labels as metadata), page by page; one that is gone meanwhile is not an error.
    public func removeSandboxes(labelled labels: [String: String]) async throws -> Int {
        var matching: [String] = []
        var token: String?
        repeat {
            let page = try await list(metadata: labels, nextToken: token)
            matching += page.sandboxes.map(\.sandboxID)
            token = page.nextToken
        } while token != nil
        // Listed in full before killing: a kill shifts the pages the token points into.
        for id in matching { try await kill(id) }
        return matching.count
    }
}
