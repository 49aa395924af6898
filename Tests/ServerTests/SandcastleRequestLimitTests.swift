import Foundation
import HTTPTransport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// `/api`'s body limits on a live server: too large is 413, too deep or too big a JSON-object
/// field is 422 naming the field, hostile bytes are a clear 4xx; never a 5xx.
@Suite(.timeLimit(.minutes(5))) struct SandcastleRequestLimitTests {
    static func nested(_ levels: Int) -> String {
        String(repeating: #"{"a":"#, count: levels - 1) + "{}" + String(repeating: "}", count: levels - 1)
    }

    static func post(_ live: LiveServer, _ path: String, _ body: [UInt8], method: HTTPMethod = .post) async throws -> (
        status: Int, code: String?, message: String, field: String?
    ) {
        let response = try await live.client.send(
            HTTPRequest(method: method, path: path, headers: ["Content-Type": "application/json"], body: .bytes(body), timeout: .seconds(60)))
        let parsed = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        let (code, message, details) = SandcastleAPIFixture.error(parsed)
        SecurityHeaderTests.check(response.headers, "\(path) → \(response.status)")
        return (response.status, code, message ?? response.bodyText, details?["field"] as? String)
    }

    static func post(_ live: LiveServer, _ path: String, _ json: String, method: HTTPMethod = .post) async throws -> (
        status: Int, code: String?, message: String, field: String?
    ) {
        try await post(live, path, Array(json.utf8), method: method)
    }

    @Test func deepOrLargeFieldsAreRefusedByName() async throws {
        try await SandcastleAPIFixture.with(workflows: [:], now: Date(), configure: { $0.rateLimitRuns = .off }) { fixture in
            let live = fixture.live
            // 20 levels is Sandcastle's limit: accepted as far as the limit goes (the workflow is unknown).
            let twenty = try await Self.post(live, "/api/workflows/run", #"{"workflow_name": "nope", "input": \#(Self.nested(20))}"#)
            #expect(twenty.status == 404 && twenty.code == "WORKFLOW_NOT_FOUND", "\(twenty)")
            for levels in [21, 40, 5000] {
                let deep = try await Self.post(live, "/api/workflows/run", #"{"workflow_name": "nope", "input": \#(Self.nested(levels))}"#)
                #expect(deep.status == 422 && deep.code == "VALIDATION_ERROR" && deep.field == "input", "\(levels): \(deep)")
                #expect(deep.message.contains("`input`") && deep.message.contains("20"), "\(deep.message)")
            }
            let big = #"{"workflow_name": "nope", "input": {"text": "\#(String(repeating: "x", count: (1 << 20) + 10))"}}"#
            let large = try await Self.post(live, "/api/workflows/run", big)
            #expect(large.status == 422 && large.field == "input" && large.message.contains("1048576"), "\(large.message.prefix(200))")
            let fork = try await Self.post(live, "/api/runs/abc/fork", #"{"from_step": "a", "changes": \#(Self.nested(25))}"#)
            #expect(fork.status == 422 && fork.field == "changes", "\(fork)")
            let approve = try await Self.post(live, "/api/approvals/abc.def/approve", #"{"edited_data": \#(Self.nested(21))}"#)
            #expect(approve.status == 422 && approve.field == "edited_data", "\(approve)")
            let schedule = try await Self.post(
                live, "/api/schedules", #"{"workflow_name": "w", "cron_expression": "* * * * *", "input_data": \#(Self.nested(22))}"#)
            #expect(schedule.status == 422 && schedule.field == "input_data", "\(schedule)")
            // An unnamed array body nested too deep is refused before it is parsed.
            let array = try await Self.post(live, "/api/workflows/run", String(repeating: "[", count: 100_000))
            #expect(array.status == 422 && array.code == "VALIDATION_ERROR", "\(array)")
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        try await SandcastleAPIFixture.with(workflows: [:], now: Date()) { fixture in
            let huge = Array(#"{"workflow": ""#.utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: SandcastleAPIController.maxBodyBytes) + Array(#""}"#.utf8)
            let answer = try await Self.post(fixture.live, "/api/workflows", huge)
            #expect(answer.status == 413 && answer.code == "BODY_TOO_LARGE", "\(answer.code ?? "") \(answer.message.prefix(200))")
            #expect(answer.message.contains("\(SandcastleAPIController.maxBodyBytes)"))
            // Chunked, with no length announced: refused as soon as it passes the limit.
            let response = try await fixture.live.client.send(
                HTTPRequest(
                    method: .post, path: "/api/workflows/run", headers: ["Content-Type": "application/json", "Transfer-Encoding": "chunked"],
                    body: .bytes(huge), timeout: .seconds(60)))
            #expect(response.status == 413, "\(response.bodyText.prefix(200))")
        }
    }

    @Test func hostileBytesAreAClear4xx() async throws {
        try await SandcastleAPIFixture.with(workflows: [:], now: Date(), configure: { $0.rateLimitRuns = .off }) { fixture in
            let live = fixture.live
            let cases: [(String, [UInt8], String)] = [
                ("invalid UTF-8", Array(#"{"workflow_name": ""#.utf8) + [0xFF, 0xFE, 0xC0] + Array(#""}"#.utf8), "UTF-8"),
                ("a NUL in a name", Array(#"{"workflow_name": "a\u0000b"}"#.utf8), "NUL"),
                ("a number past any float", Array(#"{"workflow_name": "x", "max_cost_usd": 1e999}"#.utf8), "JSON"),
                ("a huge integer", Array(#"{"workflow_name": "x", "max_cost_usd": 123456789012345678901234567890}"#.utf8), ""),
                ("not JSON", Array("{workflow".utf8), "JSON"),
                ("a list", Array("[]".utf8), "object"),
                ("empty", [], "JSON"),
                ("NaN", Array(#"{"workflow_name": "x", "max_cost_usd": NaN}"#.utf8), "JSON"),
                ("script in a name", Array(#"{"workflow_name": "<script>alert(1)</script>"}"#.utf8), ""),
                ("path traversal", Array(#"{"workflow_name": "../../etc/passwd"}"#.utf8), ""),
            ]
            for (what, body, phrase) in cases {
                for path in ["/api/workflows/run", "/api/workflows", "/api/schedules"] {
                    let answer = try await Self.post(live, path, body)
                    #expect((400..<500).contains(answer.status), "\(what) on \(path): \(answer.status) \(answer.message)")
                    #expect(answer.code != nil, "\(what) on \(path): the envelope's code")
                    if path == "/api/workflows/run" && !phrase.isEmpty { #expect(answer.message.contains(phrase), "\(what): \(answer.message)") }
                }
            }
            // A hostile name never reaches the answer unescaped as HTML, and nothing was saved.
            let list = try await live.call(.get, "/api/workflows")
            #expect((list.body["data"] as? [Any])?.isEmpty == true)
        }
    }
}
