import Foundation
import HTTPTransport
import Testing

@testable import Server
@testable import ServerCore

/// Every answer of every API carries the security headers: successes, errors, 404 and 405, the
/// E2B middleware's answers (which come before our auth) and the connection guard's (written
/// below Hummingbird).
@Suite struct SecurityHeaderTests {
    static let expected = [
        "x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer",
    ]

    static func check(_ headers: HTTPHeaders, _ what: String) {
        for (name, value) in expected { #expect(headers[name] == value, "\(what): \(name)") }
        #expect(headers["permissions-policy"]?.contains("camera=()") == true, "\(what): permissions-policy")
    }

    @Test func everyAPIsAnswersSuccessesAndErrorsCarryThem() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { live in
            let requests: [(HTTPMethod, String, [(String, String)], Int)] = [
                (.get, "/health", [], 200),
                (.get, "/openapi.json", [], 200),
                (.get, "/v1/sandboxes", [("Authorization", "Bearer \(ServerFixture.key)")], 200),
                (.get, "/v1/sandboxes", [], 401),
                (.get, "/no/such/route", [("Authorization", "Bearer \(ServerFixture.key)")], 404),
                (.put, "/v1/sandboxes", [("Authorization", "Bearer \(ServerFixture.key)")], 405),
                (.get, "/v1/sandboxes/nope", [("Authorization", "Bearer \(ServerFixture.key)")], 404),
                // Sandcastle's /api shapes (no orchestrator: every path is unknown there).
                (.get, "/api/nothing", [("X-API-Key", ServerFixture.key)], 404),
                (.get, "/api/runs", [], 401),
                // E2B's control plane, answered by its middleware before our auth.
                (.get, "/sandboxes", [], 401),
                (.get, "/sandboxes", [("X-API-Key", ServerFixture.key)], 200),
                // Sandkasten's and Sandstorm's error middlewares.
                (.get, "/v1/sessions/nope", [("Authorization", "Bearer \(ServerFixture.key)")], 404),
                (.post, "/query", [("Authorization", "Bearer \(ServerFixture.key)")], 503),
            ]
            for (method, path, headers, status) in requests {
                let response = try await live.client.send(
                    HTTPRequest(
                        method: method, path: path, headers: HTTPHeaders(headers), body: method == .post ? .bytes(Array("{}".utf8)) : .none,
                        timeout: .seconds(30)))
                #expect(response.status == status, "\(method) \(path): \(response.bodyText.prefix(200))")
                Self.check(response.headers, "\(method) \(path) → \(response.status)")
            }
        }
    }

    @Test func theConnectionGuardsOwnAnswersCarryThem() async throws {
        var configuration = ServerFixture.configuration()
        configuration.maxRequestHeadBytes = 2048
        try await ServerFixture.with(configuration, ServerFixture.fake()) { live in
            let connection = try await RawConnection.open(port: live.port)
            try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 4096))\r\n\r\n")
            let answer = try await connection.response()
            #expect(answer.status == 431)
            for (name, value) in Self.expected { #expect(answer.headers[name] == value, "431: \(name)") }
            #expect(answer.headers["permissions-policy"] != nil)
        }
    }
}
