import Foundation
import JSONValues
import Testing

@testable import Webhooks

@Suite struct PayloadTests {
    static let when = Date(timeIntervalSince1970: 1_767_225_600.25) // 2026-01-01T00:00:00.25Z

    @Test func theBodyIsSandcastlesFieldForFieldInItsOrder() throws {
        let payload = WebhookPayload(
            event: .workflowCompleted, runID: "run-1", workflow: "leads", status: "completed",
            outputs: ["summary": "ok", "count": 3], totalCostUSD: 0.0123, durationSeconds: 4.5, timestamp: Self.when)
        let body = try payload.encoded()
        let text = String(decoding: body.bytes, as: UTF8.self)
        #expect(
            text
                == #"{"event":"workflow.completed","run_id":"run-1","workflow":"leads","status":"completed","outputs":{"count":3,"summary":"ok"},"total_cost_usd":0.0123,"costs":0.0123,"duration_seconds":4.5,"error":null,"timestamp":"2026-01-01T00:00:00.250000+00:00"}"#
        )
        #expect(body.truncation == .none)
        #expect(body.event == .workflowCompleted)
        // It is JSON a receiver reads back to the same values.
        let parsed = try #require(JSONValue.parse(json: text))
        #expect(parsed.child("costs") == parsed.child("total_cost_usd"))
    }

    @Test func failuresAndApprovalsCarryTheirFields() throws {
        let failed = WebhookPayload(
            event: .forRunStatus("failed"), runID: "r", workflow: "w", status: "failed", error: "step \"a\" failed:\nexit 1",
            timestamp: Date(timeIntervalSince1970: 0))
        let text = String(decoding: try failed.encoded().bytes, as: UTF8.self)
        #expect(text.contains(#""outputs":null"#))
        #expect(text.contains(#""error":"step \"a\" failed:\nexit 1""#))
        #expect(text.contains(#""total_cost_usd":0.0,"costs":0.0,"duration_seconds":0.0"#))
        #expect(text.hasSuffix(#""timestamp":"1970-01-01T00:00:00+00:00"}"#))

        let approval = WebhookPayload(
            event: .approvalRequested, runID: "r", workflow: "w", status: "awaiting_approval",
            outputs: ["approval_id": "a1", "step_id": "review", "message": "Check it"])
        #expect(try approval.encoded().bytes.count > 0)
    }

    @Test func eventsFollowSandcastlesStatusMap() {
        #expect(WebhookEvent.forRunStatus("completed").rawValue == "workflow.completed")
        #expect(WebhookEvent.forRunStatus("failed").rawValue == "workflow.failed")
        #expect(WebhookEvent.forRunStatus("cancelled").rawValue == "workflow.cancelled")
        #expect(WebhookEvent.forRunStatus("budget_exceeded").rawValue == "workflow.budget_exceeded")
        #expect(WebhookEvent.forRunStatus("awaiting_approval").rawValue == "workflow.awaiting_approval")
        #expect(WebhookEvent.forRunStatus("partial").rawValue == "workflow.failed")
        #expect(WebhookEvent.approvalRequested.rawValue == "approval.requested")
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00+00:00"), (951_782_400.5, "2000-02-29T00:00:00.500000+00:00"),
        (1_767_225_599.75, "2025-12-31T23:59:59.750000+00:00"), (-1.0, "1969-12-31T23:59:59+00:00"),
        (-0.5, "1969-12-31T23:59:59.500000+00:00"), (4_102_444_800.125, "2100-01-01T00:00:00.125000+00:00"),
        (1_709_208_000.0, "2024-02-29T12:00:00+00:00"),
    ])
    func timestampsAreWhatPythonsIsoformatWrites(_ seconds: Double, _ expected: String) {
        // Exactly representable instants; Python leaves the fraction out when it is zero.
        #expect(WebhookPayload.isoTimestamp(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test func twoMebibytesOfOutputsBecomeAPreviewUnderOneMebibyte() throws {
        let big = String(repeating: "x", count: 2 << 20)
        let payload = WebhookPayload(
            event: .workflowCompleted, runID: "run-big", workflow: "w", status: "completed", outputs: ["big": .string(big)], timestamp: Self.when)
        let body = try payload.encoded()
        #expect(body.truncation == .outputs)
        #expect(body.bytes.count <= WebhookPayload.maximumBodyBytes)
        let parsed = try #require(JSONValue.parse(json: String(decoding: body.bytes, as: UTF8.self)))
        let outputs = try #require(parsed.child("outputs"))
        #expect(outputs.child("outputs_truncated") == .bool(true))
        #expect(outputs.child("_reason") == .string("payload_too_large"))
        guard case .string(let preview) = outputs.child("outputs_preview") else {
            Issue.record("no preview")
            return
        }
        #expect(preview.count == 9_999)
        #expect(preview.hasPrefix(#"{"big":"xxxx"#))
        #expect(preview.hasSuffix("x...(truncated)"))
        #expect(parsed.child("run_id") == .string("run-big"))
        // The fields before and after outputs stay in Sandcastle's order.
        let text = String(decoding: body.bytes, as: UTF8.self)
        #expect(
            text.hasPrefix(
                #"{"event":"workflow.completed","run_id":"run-big","workflow":"w","status":"completed","outputs":{"outputs_truncated":true,"outputs_preview":"#)
        )
    }

    @Test func aHugeErrorLeavesTheMinimalBody() throws {
        let payload = WebhookPayload(
            event: .workflowFailed, runID: "run-e", workflow: "w", status: "failed", outputs: ["a": 1],
            error: String(repeating: "e", count: 2 << 20), timestamp: Self.when)
        let body = try payload.encoded()
        #expect(body.truncation == .minimal)
        #expect(
            String(decoding: body.bytes, as: UTF8.self)
                == #"{"event":"workflow.failed","run_id":"run-e","status":"failed","timestamp":"2026-01-01T00:00:00.250000+00:00","outputs":{"outputs_truncated":true,"_reason":"payload_too_large"},"error":"(truncated - payload exceeded size limit)"}"#
        )
    }

    @Test func aLongWorkflowNameFallsBackToTheMinimalBodyAndTooSmallALimitThrows() throws {
        let payload = WebhookPayload(
            event: .workflowFailed, runID: "r", workflow: String(repeating: "w", count: 400), status: "failed", outputs: [:], timestamp: Self.when)
        #expect(try payload.encoded(limit: 300).truncation == .minimal)
        let error = #expect(throws: WebhookError.self) { _ = try payload.encoded(limit: 50) }
        #expect(error?.code == .payloadTooLarge)
    }

    @Test func hostileStringsStayValidJSON() throws {
        let hostile = "\u{0}\u{1F}\"\\</script>\u{2028}😀\r\n\t"
        let payload = WebhookPayload(
            event: WebhookEvent(rawValue: "workflow.completed"), runID: hostile, workflow: hostile, status: "completed",
            outputs: [hostile: .string(hostile)], error: hostile)
        let text = String(decoding: try payload.encoded().bytes, as: UTF8.self)
        let parsed = try #require(JSONValue.parse(json: text))
        #expect(parsed.child("run_id") == .string(hostile))
        #expect(parsed.child("outputs")?.child(hostile) == .string(hostile))
    }
}
