import Foundation
import JSONValues
import TestSupport
import Testing

@testable import Store

/// The canonical form audit hashes are computed over: pinned byte for byte, and checked against
/// Python's `json.dumps(sort_keys=True, separators=(",", ":"))`, which independent verifiers use.
@Suite struct CanonicalJSONTests {
    @Test func objectsSortKeysByCodePointWithoutSpaces() {
        let value: JSONValue = ["b": 1, "a": ["z": true, "y": .null], "B": "x", "é": 2, "😀": 3, "\u{FF5E}": 4]
        // Code point order: "B" (0x42) < "a" < "b" < "é" (0xE9) < U+FF5E < U+1F600 (UTF-16 would put the emoji first).
        #expect(
            CanonicalJSON.encode(value)
                == #"{"B":"x","a":{"y":null,"z":true},"b":1,"\u00e9":2,"\uff5e":4,"\ud83d\ude00":3}"#)
    }

    @Test func stringsAreEscapedAsPythonsEnsureASCII() {
        let text = "q\"b\\s/ n\n r\r t\t b\u{08} f\u{0C} nul\u{00} us\u{1F} del\u{7F} é ü 中 😀 <script>"
        #expect(
            CanonicalJSON.encode(.string(text))
                == #""q\"b\\s/ n\n r\r t\t b\b f\f nul\u0000 us\u001f del\u007f \u00e9 \u00fc \u4e2d \ud83d\ude00 <script>""#)
    }

    @Test func numbersAreWrittenAsPythonsRepr() {
        let cases: [(JSONValue, String)] = [
            (0, "0"), (-7, "-7"), (.integer(Int.max), "9223372036854775807"), (.number(0), "0.0"), (.number(-0.0), "-0.0"),
            (.number(1), "1.0"), (.number(-2.5), "-2.5"), (.number(0.1), "0.1"), (.number(0.1 + 0.2), "0.30000000000000004"),
            (.number(0.0001), "0.0001"), (.number(0.00001), "1e-05"), (.number(1.5e-7), "1.5e-07"), (.number(123456.789), "123456.789"),
            (.number(1e15), "1000000000000000.0"), (.number(1e16), "1e+16"), (.number(1.2345678901234567e16), "1.2345678901234568e+16"),
            (.number(9_007_199_254_740_992), "9007199254740992.0"), (.number(.leastNonzeroMagnitude), "5e-324"),
            (.number(1.7976931348623157e308), "1.7976931348623157e+308"),
            (.number(.nan), "null"), (.number(.infinity), "null"),
        ]
        for (value, expected) in cases {
            #expect(CanonicalJSON.encode(value) == expected, "\(value)")
        }
    }

    @Test func arraysKeepTheirOrder() {
        #expect(CanonicalJSON.encode([3, "a", [:], [], false]) == #"[3,"a",{},[],false]"#)
    }

    /// Every value here goes through Python's json: loading our text and dumping it canonically
    /// gives the same bytes back.
    @Test func pythonWritesTheSameBytes() async throws {
        let values: [JSONValue] = [
            ["event_type": "step.completed", "cost_usd": .number(0.30000000000000004), "attempt": 2, "nested": ["k": [1, 2.5, "x"]]],
            .string("\u{00}\u{01}\u{1F}\u{7F}\u{80}\u{FFFF}\u{10000}\u{10FFFF}\"\\/"),
            ["😀": 1, "\u{FF5E}": 2, "é": 3, "E": 4, "": 5],
            .array([
                .number(1e-5), .number(1e16), .number(1e15), .number(-0.0), .number(123.456), .number(.leastNonzeroMagnitude), .integer(-9_007_199_254_740_993),
            ]),
            .string("<script>alert(1)</script> ../../etc/passwd"),
        ]
        let lines = values.map(CanonicalJSON.encode).joined(separator: "\n")
        let script = """
            import json, sys
            for line in sys.stdin.read().split("\\n"):
                again = json.dumps(json.loads(line), sort_keys=True, separators=(",", ":"))
                print("same" if again == line else "DIFFERENT " + again)
            """
        let result = try await runChild("python3", ["-c", script], input: Data(lines.utf8))
        #expect(result.status == 0, "\(result.text)")
        let answers = result.text.split(separator: "\n").map(String.init)
        #expect(answers == Array(repeating: "same", count: values.count), "\(result.text)")
    }

    @Test func timestampsAreISO8601UTCWithMilliseconds() {
        #expect(AuditHasher.timestamp(milliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(AuditHasher.timestamp(milliseconds: 1_796_672_831_123) == "2026-12-07T19:47:11.123Z")
        #expect(AuditHasher.timestamp(milliseconds: 951_782_400_007) == "2000-02-29T00:00:00.007Z")
    }

    /// The hashed text for a pinned entry, and its SHA-256 (computed independently:
    /// `printf '%s' TEXT | sha256sum`).
    @Test func hashedTextIsPinned() {
        let text = AuditHasher.hashedText(
            eventType: "run.created", runID: "r1", actorID: "cli", timestamp: "2026-12-07T19:47:11.123Z",
            payloadJSON: #"{"workflow_name":"w"}"#, prevHash: "genesis")
        #expect(
            text
                == #"{"actor_id":"cli","event_type":"run.created","payload":{"workflow_name":"w"},"prev_hash":"genesis","run_id":"r1","timestamp":"2026-12-07T19:47:11.123Z"}"#
        )
        let hash = AuditHasher.hash(
            eventType: "run.created", runID: "r1", actorID: "cli", timestamp: "2026-12-07T19:47:11.123Z",
            payloadJSON: #"{"workflow_name":"w"}"#, prevHash: "genesis")
        #expect(hash == "4e7739b5472487c7e14f908cb6d27045f23e5bcac774116d26d19d33588ed5b3")
    }
}
