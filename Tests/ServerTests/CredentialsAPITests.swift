import Foundation
import HTTPTransport
import SandcastleClient
import Testing

@testable import Server

/// `/api/credentials` over real HTTP on loopback (issue 15 §5): admin keys store, list, show
/// and delete; a tenant key gets 403; bad names and bodies a clear 422; the value is never in
/// an answer, the server's log or the data folder; SandcastleClient's calls work end to end.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CredentialsAPITests {
    static let value = "ghp_apiValue0123456789abcdefQRST"

    @Test func adminKeysManageCredentialsMaskedAndTenantKeysAreRefused() async throws {
        try await TenantIsolationTests.with { server in
            let admin = TenantIsolationTests.adminKey
            let put = try await server.call(.put, "/api/credentials/github:default", json: #"{"value":"\#(Self.value)"}"#, key: admin)
            #expect(put.status == 200, "\(put.text)")
            let stored = TenantIsolationTests.data(put.body)
            #expect(stored["name"] as? String == "github:default" && stored["masked_value"] as? String == "ghp_...QRST", "\(put.text)")
            #expect((stored["key_id"] as? String)?.count == 16)

            // Percent-encoded, as clients send a `:` in a path segment.
            let one = try await server.call(.get, "/api/credentials/github%3Adefault", key: admin)
            #expect(one.status == 200 && TenantIsolationTests.data(one.body)["masked_value"] as? String == "ghp_...QRST", "\(one.text)")
            let list = try await server.call(.get, "/api/credentials", key: admin)
            let items = list.body["data"] as? [[String: Any]] ?? []
            #expect(list.status == 200 && items.count == 1 && (list.body["meta"] as? [String: Any])?["total"] as? Int == 1, "\(list.text)")

            let tenant = try await server.makeKey(#"{"name":"t","tenant_id":"acme"}"#).key
            for (method, path, json) in [
                (HTTPMethod.get, "/api/credentials", nil), (.get, "/api/credentials/github:default", nil),
                (.put, "/api/credentials/github:default", #"{"value":"stolen-0123456789"}"#), (.delete, "/api/credentials/github:default", nil),
            ] as [(HTTPMethod, String, String?)] {
                let refused = try await server.call(method, path, json: json, key: tenant)
                #expect(refused.status == 403 && TenantIsolationTests.code(refused.body) == "FORBIDDEN", "\(method) \(path): \(refused.text)")
            }

            for bad in ["GitHub:default", "github", "a:b:c", "..%2F..%2Fetc:passwd", "%3Cscript%3E:x", "a%00:b", String(repeating: "a", count: 101) + ":b"] {
                let refused = try await server.call(.put, "/api/credentials/\(bad)", json: #"{"value":"x-0123456789"}"#, key: admin)
                #expect(refused.status == 422 && TenantIsolationTests.code(refused.body) == "INVALID_NAME", "\(bad): \(refused.text)")
            }
            for body in [
                #"{"value":""}"#, #"{}"#, #"{"value":5}"#, "not json", #"{"value":"ok-0123456789","extra":1}"#,
                "{\"value\":\"\(String(repeating: "x", count: 70_000))\"}",
            ] {
                let refused = try await server.call(.put, "/api/credentials/a:b", json: body, key: admin)
                #expect((400..<500).contains(refused.status), "\(body.prefix(40)): \(refused.text)")
            }
            #expect(try await server.call(.get, "/api/credentials/none:here", key: admin).status == 404)

            // SandcastleClient against the same server.
            let client = try SandcastleAPIClient(server: try RemoteServer(url: "http://127.0.0.1:\(server.live.port)", apiKey: admin))
            let viaClient = try await client.setCredential(name: "slack:ops", value: "xoxb-client-0123456789")
            #expect(viaClient.maskedValue == "xoxb...6789")
            #expect(try await client.credentials().map(\.name) == ["github:default", "slack:ops"])
            #expect(try await client.credential(name: "slack:ops").maskedValue == "xoxb...6789")
            try await client.deleteCredential(name: "slack:ops")
            await #expect(throws: RemoteAPIError.self) { try await client.credential(name: "slack:ops") }

            let deleted = try await server.call(.delete, "/api/credentials/github:default", key: admin)
            #expect(deleted.status == 200, "\(deleted.text)")
            #expect(try await server.call(.delete, "/api/credentials/github:default", key: admin).status == 404)

            for answer in [put, one, list] { #expect(!answer.text.contains(Self.value)) }
            #expect(!server.logs.all.contains { $0.contains(Self.value) }, "the value in the log")
            for (file, bytes) in TenantIsolationTests.dataFolderBytes(server.data) {
                #expect(bytes.range(of: Data(Self.value.utf8)) == nil, "the value in \(file)")
            }
        }
    }
}
