import Foundation
import HTTPTransport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// `/api/openapi.json` describes exactly the `/api` routes the server registers, every `$ref`
/// resolves, and it is served without a key.
@Suite(.timeLimit(.minutes(5))) struct SandcastleDocumentTests {
    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(SandcastleAPIDocument.json.utf8)) as? [String: Any])
    }

    @Test func everyAPIRouteIsInTheDocumentAndNothingElse() async throws {
        try await SandcastleAPIFixture.with(workflows: [:], now: Date()) { fixture in
            let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
            var documented: Set<String> = []
            for (path, operations) in paths {
                for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
            }
            let api = fixture.live.server.routes.filter { $0.path.hasPrefix("/api/") }
            let registered = Set(api.map { "\($0.method) \($0.openAPIPath)" })
            #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "documented but not served: \(documented.subtracting(registered).sorted())")
            #expect(registered.count == api.count, "no route registered twice")
            #expect(api.allSatisfy { !$0.native }, "/api is not part of the native /openapi.json")
        }
    }

    @Test func everyReferenceResolvesAndEverySchemaIsReferenced() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let (unresolved, unreferenced) = try DocumentTests.referenceProblems(document)
        #expect(unresolved.isEmpty, "unresolved: \(unresolved.sorted())")
        #expect(unreferenced.isEmpty, "never referenced: \(unreferenced.sorted())")
    }

    /// The error shapes clients read: `detail` nesting, the auth failure at the top level, the
    /// rate limit's string `detail` with its headers on the five run-starting operations only.
    @Test func errorShapesAndRateLimitsAreDescribed() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: [String: Any]]])
        var limited: Set<String> = []
        for (path, operations) in paths {
            for (method, operation) in operations {
                let responses = try #require(operation["responses"] as? [String: [String: Any]], "\(method) \(path)")
                let ref = { (status: String) -> String in
                    ((((responses[status]?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"]) as? [String: Any])
                        .map { "\($0)" } ?? ""
                }
                // The public ones: no key, so no 401 (and no failure inside a handler a key reaches).
                if !["/api/health", "/api/openapi.json", "/api/v1/{name}/spec"].contains(path) {
                    #expect(ref("401").contains("SandcastleAuthError"), "\(method) \(path)")
                    #expect(ref("500").contains("SandcastleError"), "\(method) \(path)")
                }
                if ref("429").contains("SandcastleRateLimited") {
                    limited.insert("\(method.uppercased()) \(path)")
                    let headers = responses["429"]?["headers"] as? [String: Any]
                    #expect(headers?["Retry-After"] != nil && headers?["X-RateLimit-Remaining"] != nil, "\(method) \(path)")
                }
            }
        }
        #expect(
            limited == [
                "POST /api/workflows/run", "POST /api/workflows/run/sync", "POST /api/runs/{id}/replay", "POST /api/runs/{id}/fork",
                "POST /api/v1/{name}",
            ])
    }

    @Test func itIsServedWithoutAKey() async throws {
        try await SandcastleAPIFixture.with(
            workflows: [:], now: Date(),
            configure: {
                $0.openMode = false
                $0.apiKeyDigests = [APIKeyStore.digest(ServerFixture.key)]
            }
        ) { fixture in
            let response = try await fixture.live.client.send(HTTPRequest(method: .get, path: "/api/openapi.json", timeout: .seconds(30)))
            #expect(response.status == 200)
            #expect(response.bodyText == SandcastleAPIDocument.json)
            #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
            SecurityHeaderTests.check(response.headers, "/api/openapi.json")
            let other = try await fixture.live.client.send(HTTPRequest(method: .post, path: "/api/openapi.json", timeout: .seconds(30)))
            #expect(other.status == 401 || other.status == 405)
            let runs = try await fixture.live.client.send(HTTPRequest(method: .get, path: "/api/runs", timeout: .seconds(30)))
            #expect(runs.status == 401, "everything else still needs a key")
        }
    }
}
