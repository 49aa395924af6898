import Foundation
import HTTPTransport
import Testing

@testable import Server
@testable import ServerCore

/// CORS for configured dashboard origins only: a preflight from one is answered without a key,
/// its requests' answers (errors too) name it; any other origin gets no CORS header.
@Suite struct CORSTests {
    static let dashboard = "https://dash.example.com"

    static func server<T>(_ body: (LiveServer) async throws -> T) async throws -> T {
        var configuration = ServerFixture.configuration()
        configuration.corsOrigins = [dashboard, "http://localhost:5173"]
        return try await ServerFixture.with(configuration, ServerFixture.fake(), body)
    }

    static func send(_ live: LiveServer, _ method: HTTPMethod, _ path: String, _ headers: [(String, String)]) async throws -> HTTPResponse {
        try await live.client.send(HTTPRequest(method: method, path: path, headers: HTTPHeaders(headers), timeout: .seconds(30)))
    }

    @Test func aPreflightFromTheDashboardIsAnsweredWithoutAKey() async throws {
        try await Self.server { live in
            for path in ["/api/runs", "/v1/sandboxes", "/api/workflows/run"] {
                let response = try await Self.send(
                    live, HTTPMethod(rawValue: "OPTIONS"), path,
                    [
                        ("Origin", Self.dashboard), ("Access-Control-Request-Method", "POST"),
                        ("Access-Control-Request-Headers", "x-api-key, content-type"),
                    ])
                #expect(response.status == 204, "\(path): \(response.bodyText)")
                #expect(response.headers["access-control-allow-origin"] == Self.dashboard)
                #expect(response.headers["access-control-allow-credentials"] == "true")
                let methods = response.headers["access-control-allow-methods"] ?? ""
                for method in ["GET", "POST", "PATCH", "DELETE"] { #expect(methods.contains(method)) }
                let allowed = (response.headers["access-control-allow-headers"] ?? "").lowercased()
                for header in ["x-api-key", "authorization", "last-event-id", "content-type"] { #expect(allowed.contains(header), "\(header)") }
                #expect(response.headers.values(for: "vary").contains("Origin"))
                SecurityHeaderTests.check(response.headers, "preflight \(path)")
            }
        }
    }

    @Test func theDashboardsRequestsAndErrorsNameItsOrigin() async throws {
        try await Self.server { live in
            let ok = try await Self.send(live, .get, "/v1/sandboxes", [("Origin", Self.dashboard), ("X-API-Key", ServerFixture.key)])
            #expect(ok.status == 200)
            #expect(ok.headers["access-control-allow-origin"] == Self.dashboard)
            #expect(ok.headers["access-control-allow-credentials"] == "true")
            #expect(ok.headers["access-control-expose-headers"]?.contains("X-RateLimit-Remaining") == true)
            // An error is readable too, so the dashboard can say why.
            let refused = try await Self.send(live, .get, "/api/runs", [("Origin", "http://localhost:5173")])
            #expect(refused.status == 401)
            #expect(refused.headers["access-control-allow-origin"] == "http://localhost:5173")
        }
    }

    @Test func anOriginNotConfiguredGetsNoCORSHeader() async throws {
        try await Self.server { live in
            let evil = "https://evil.example.com"
            let preflight = try await Self.send(
                live, HTTPMethod(rawValue: "OPTIONS"), "/api/runs", [("Origin", evil), ("Access-Control-Request-Method", "GET")])
            #expect(preflight.status >= 400, "an unknown origin's preflight is not answered as one")
            let request = try await Self.send(live, .get, "/v1/sandboxes", [("Origin", evil), ("X-API-Key", ServerFixture.key)])
            #expect(request.status == 200)
            for response in [preflight, request] {
                #expect(response.headers["access-control-allow-origin"] == nil)
                #expect(response.headers["access-control-allow-credentials"] == nil)
                SecurityHeaderTests.check(response.headers, "unknown origin")
            }
            // The same origin with another scheme or port is another origin.
            let near = try await Self.send(live, .get, "/health", [("Origin", "http://dash.example.com")])
            #expect(near.headers["access-control-allow-origin"] == nil)
        }
    }

    @Test func noOriginIsAllowedByDefault() async throws {
        try await ServerFixture.with(ServerFixture.configuration(), ServerFixture.fake()) { live in
            let response = try await Self.send(
                live, HTTPMethod(rawValue: "OPTIONS"), "/api/runs", [("Origin", Self.dashboard), ("Access-Control-Request-Method", "GET")])
            #expect(response.headers["access-control-allow-origin"] == nil)
        }
    }

    @Test func originsAreReadFromFlagsAndEnvironmentAndCheckedAtStart() throws {
        let fromEnvironment = try ServerConfiguration.load(
            configFile: nil,
            environment: ["SANDCASTLE_OPEN": "1", "SANDCASTLE_CORS_ORIGINS": "https://a.example, http://localhost:5173"],
            flags: .init())
        #expect(fromEnvironment.corsOrigins == ["https://a.example", "http://localhost:5173"])
        for bad in ["*", "dash.example.com", "https://dash.example.com/path", "ftp://x"] {
            var flags = ServerConfiguration.Overrides()
            flags.corsOrigins = [bad]
            #expect(throws: ServerError.self, "\(bad)") {
                try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_OPEN": "1"], flags: flags)
            }
        }
    }
}
