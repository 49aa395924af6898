import Foundation
import HTTPTransport
import Orchestrator
import Schedules
import TestSupport
import Testing

/// `/api/schedules` over real HTTP on loopback, in Sandcastle's envelope, against a real
/// scheduler (hand-moved clock), store and run queue.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct SandcastleScheduleAPITests {
    /// 2030-01-01T00:00:30Z, a Tuesday.
    static let now = Date(timeIntervalSince1970: 1_893_456_030)

    static let hello = """
        name: hello
        inputs:
          who: {type: string, default: world}
        steps:
          - id: greet
            run: echo hi {input.who}
        """

    /// Sandcastle's `ScheduleResponse` fields, and ours.
    static let responseKeys: Set<String> = [
        "id", "workflow_name", "cron_expression", "input_data", "enabled", "last_run_id", "last_run_at", "last_run_status", "next_run_at",
        "success_rate", "status", "created_at", "updated_at", "timezone", "description", "catch_up",
    ]

    @Test func createGetListUpdateAndDeleteAnswerInSandcastlesShapes() async throws {
        try await SandcastleAPIFixture.with(workflows: ["hello": Self.hello], now: Self.now) { fixture in
            let live = fixture.live
            let created = try await live.call(
                .post, "/api/schedules",
                json: #"{"workflow_name":"hello","cron_expression":"0 9 * * *","timezone":"Asia/Kolkata","input_data":{"who":"api"}}"#)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.body["error"] is NSNull)
            #expect(created.body["meta"] is NSNull)
            let schedule = try #require(created.body["data"] as? [String: Any])
            #expect(Set(schedule.keys) == Self.responseKeys)
            let id = try #require(schedule["id"] as? String)
            #expect(UUID(uuidString: id) != nil)
            #expect(schedule["workflow_name"] as? String == "hello")
            #expect(schedule["cron_expression"] as? String == "0 9 * * *")
            #expect(schedule["input_data"] as? [String: String] == ["who": "api"])
            #expect(schedule["enabled"] as? Bool == true)
            for key in ["last_run_id", "last_run_at", "last_run_status", "success_rate"] { #expect(schedule[key] is NSNull, "\(key)") }
            // 09:00 in Kolkata is 03:30 UTC.
            #expect(schedule["next_run_at"] as? String == "2030-01-01T03:30:00.000Z")
            #expect(schedule["created_at"] as? String == "2030-01-01T00:00:30.000Z")
            #expect(schedule["status"] as? String == "active")
            #expect(schedule["timezone"] as? String == "Asia/Kolkata")
            #expect(schedule["description"] as? String == "At 09:00 every day")
            #expect(schedule["catch_up"] as? String == "once")

            fixture.clock.advance(to: Self.now + 60)
            let paused = try await live.call(
                .post, "/api/schedules", json: #"{"workflow_name":"hello","cron_expression":"*/15 * * * *","enabled":false,"catch_up":"skip"}"#)
            #expect(paused.status == 201, "\(paused.text)")
            let second = try #require(paused.body["data"] as? [String: Any])
            #expect(second["status"] as? String == "paused")
            #expect(second["next_run_at"] is NSNull)
            #expect(second["catch_up"] as? String == "skip")
            #expect(second["timezone"] as? String == "UTC")
            #expect(second["input_data"] as? [String: Any] != nil)

            let list = try await live.call(.get, "/api/schedules")
            #expect(list.status == 200)
            let secondID = try #require(second["id"] as? String)
            let listed: [String] = (list.body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(listed == [secondID, id], "newest first")
            #expect(list.body["meta"] as? [String: Int] == ["total": 2, "limit": 50, "offset": 0])
            let page = try await live.call(.get, "/api/schedules?limit=1&offset=1")
            let paged: [String] = (page.body["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(paged == [id])
            #expect(page.body["meta"] as? [String: Int] == ["total": 2, "limit": 1, "offset": 1])
            for bad in ["limit=0", "limit=201", "offset=-1", "limit=ten"] {
                let refused = try await live.call(.get, "/api/schedules?\(bad)")
                #expect(refused.status == 422, "\(bad)")
                #expect(SandcastleAPIFixture.error(refused.body).code == "VALIDATION_ERROR")
            }

            let read = try await live.call(.get, "/api/schedules/\(id.uppercased())")
            #expect(read.status == 200, "ids compare in any case: \(read.text)")
            #expect((read.body["data"] as? [String: Any])?["id"] as? String == id)

            let path = "/api/schedules/\(id)"
            var patched = try await live.call(.patch, path, json: #"{"enabled":false}"#)
            var data = try #require(patched.body["data"] as? [String: Any])
            #expect(data["enabled"] as? Bool == false)
            #expect(data["status"] as? String == "paused")
            #expect(data["next_run_at"] is NSNull)
            patched = try await live.call(.patch, path, json: #"{"enabled":true,"cron_expression":"30 10 * * *"}"#)
            data = try #require(patched.body["data"] as? [String: Any])
            #expect(data["status"] as? String == "active")
            #expect(data["next_run_at"] as? String == "2030-01-01T05:00:00.000Z", "10:30 in Kolkata")
            #expect(data["description"] as? String == "At 10:30 every day")
            patched = try await live.call(.patch, path, json: #"{"timezone":"Europe/Berlin","input_data":{"who":"patched"},"catch_up":"skip"}"#)
            data = try #require(patched.body["data"] as? [String: Any])
            #expect(data["next_run_at"] as? String == "2030-01-01T09:30:00.000Z", "10:30 in Berlin in winter")
            #expect(data["input_data"] as? [String: String] == ["who": "patched"])
            #expect(data["catch_up"] as? String == "skip")
            #expect(data["cron_expression"] as? String == "30 10 * * *")
            #expect(data["updated_at"] as? String == "2030-01-01T00:01:30.000Z")
            #expect(data["created_at"] as? String == "2030-01-01T00:00:30.000Z")

            let deleted = try await live.call(.delete, path)
            #expect(deleted.status == 200)
            let removal = try #require(deleted.body["data"] as? [String: Any])
            #expect(removal["deleted"] as? Bool == true)
            #expect(removal["id"] as? String == id)
            for (method, target) in [(HTTPMethod.get, path), (.delete, path), (.patch, path), (.post, path + "/trigger")] {
                let gone = try await live.call(method, target, json: method == .patch ? "{}" : nil)
                #expect(gone.status == 404, "\(method) \(target)")
                #expect(SandcastleAPIFixture.error(gone.body).code == "NOT_FOUND")
            }
            #expect((try await live.call(.get, "/api/schedules").body["meta"] as? [String: Int])?["total"] == 1)
        }
    }

    @Test func invalidCronIs422NamingTheFieldAndOtherRefusalsStoreNothing() async throws {
        try await SandcastleAPIFixture.with(workflows: ["hello": Self.hello], now: Self.now) { fixture in
            let live = fixture.live
            let cron: [(String, String, String)] = [
                (#""cron_expression":"0 0 * * 8""#, "day_of_week", "out_of_range"),
                (#""cron_expression":"*/0 * * * *""#, "minute", "invalid_step"),
                (#""cron_expression":"0 0 31 2 *""#, "day_of_month", "out_of_range"),
                (#""cron_expression":"* * *""#, "cron_expression", "wrong_field_count"),
                (#""cron_expression":"""#, "cron_expression", "empty"),
                (#""cron_expression":"@every_minute""#, "cron_expression", "unknown_name"),
                (#""cron_expression":"0 9 * * *","timezone":"Mars/Olympus""#, "timezone", "unknown_time_zone"),
            ]
            for (fields, field, reason) in cron {
                let answer = try await live.call(.post, "/api/schedules", json: #"{"workflow_name":"hello",\#(fields)}"#)
                #expect(answer.status == 422, "\(fields): \(answer.text)")
                let error = SandcastleAPIFixture.error(answer.body)
                #expect(error.code == "INVALID_CRON", "\(fields)")
                #expect(error.details?["field"] as? String == field, "\(fields): \(answer.text)")
                #expect(error.details?["reason"] as? String == reason, "\(fields): \(answer.text)")
                #expect(error.message?.isEmpty == false)
            }
            // A hostile expression is quoted short and escaped, never echoed whole.
            let hostile = String(repeating: "\u{1b}[31m", count: 40) + " * * * *"
            let escaped = try await live.call(
                .post, "/api/schedules",
                json: String(decoding: try JSONSerialization.data(withJSONObject: ["workflow_name": "hello", "cron_expression": hostile]), as: UTF8.self))
            #expect(escaped.status == 422)
            let message = try #require(SandcastleAPIFixture.error(escaped.body).message)
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 }, "\(message)")
            #expect(message.count < 400)

            let refusals: [(String, Int, String)] = [
                (#"{"workflow_name":"nope","cron_expression":"* * * * *"}"#, 404, "WORKFLOW_NOT_FOUND"),
                (#"{"workflow_name":"../hello","cron_expression":"* * * * *"}"#, 400, "INVALID_NAME"),
                (#"{"workflow_name":"hello","cron_expression":"* * * * *","input_data":{"whom":"x"}}"#, 400, "INVALID_INPUT"),
                (#"{"workflow_name":"hello"}"#, 422, "VALIDATION_ERROR"),
                (#"{"cron_expression":"* * * * *"}"#, 422, "VALIDATION_ERROR"),
                (#"{"workflow_name":"hello","cron_expression":5}"#, 422, "VALIDATION_ERROR"),
                (#"{"workflow_name":"hello","cron_expression":"* * * * *","input_data":"x"}"#, 422, "VALIDATION_ERROR"),
                (#"{"workflow_name":"hello","cron_expression":"* * * * *","enabled":"yes"}"#, 422, "VALIDATION_ERROR"),
                (#"{"workflow_name":"hello","cron_expression":"* * * * *","catch_up":"sometimes"}"#, 422, "VALIDATION_ERROR"),
                (#"{"workflow_name":"hello","cron_expression":"* * * * *","timezone":7}"#, 422, "VALIDATION_ERROR"),
                (#"{"workflow_name":"hello""#, 422, "VALIDATION_ERROR"),
                (#"["hello"]"#, 422, "VALIDATION_ERROR"),
                ("", 422, "VALIDATION_ERROR"),
                (
                    #"{"workflow_name":"hello","cron_expression":"* * * * *","input_data":{"who":"x","deep":"#
                        + String(repeating: "[", count: 25) + String(repeating: "]", count: 25) + "}}", 422, "VALIDATION_ERROR"
                ),
                (
                    #"{"workflow_name":"hello","cron_expression":"* * * * *","input_data":{"who":""#
                        + String(repeating: "x", count: (1 << 20) + 1) + #""}}"#, 422, "VALIDATION_ERROR"
                ),
            ]
            for (body, status, code) in refusals {
                let answer = try await live.call(.post, "/api/schedules", json: body)
                #expect(answer.status == status, "\(body.prefix(120)): \(answer.text.prefix(300))")
                #expect(SandcastleAPIFixture.error(answer.body).code == code, "\(body.prefix(120)): \(answer.text.prefix(300))")
            }
            #expect((try await live.call(.get, "/api/schedules").body["meta"] as? [String: Int])?["total"] == 0, "nothing refused was stored")

            let created = try await live.call(.post, "/api/schedules", json: #"{"workflow_name":"hello","cron_expression":"@hourly"}"#)
            let before = try #require(created.body["data"] as? [String: Any])
            let id = try #require(before["id"] as? String)
            let badPatch = try await live.call(.patch, "/api/schedules/\(id)", json: #"{"enabled":false,"cron_expression":"61 * * * *"}"#)
            #expect(badPatch.status == 422)
            #expect(SandcastleAPIFixture.error(badPatch.body).code == "INVALID_CRON")
            #expect(SandcastleAPIFixture.error(badPatch.body).details?["field"] as? String == "minute")
            let zonePatch = try await live.call(.patch, "/api/schedules/\(id)", json: #"{"timezone":"europe/berlin"}"#)
            #expect(SandcastleAPIFixture.error(zonePatch.body).details?["field"] as? String == "timezone")
            #expect(SandcastleAPIFixture.error(zonePatch.body).message?.contains("Europe/Berlin") == true)
            let after = try await live.call(.get, "/api/schedules/\(id)")
            #expect(NSDictionary(dictionary: try #require(after.body["data"] as? [String: Any])) == NSDictionary(dictionary: before))

            for bad in ["not-a-uuid", "1234", String(repeating: "a", count: 300)] {
                let answer = try await live.call(.get, "/api/schedules/\(bad)")
                #expect(answer.status == 400, "\(bad)")
                #expect(SandcastleAPIFixture.error(answer.body).code == "INVALID_ID")
            }
            _ = try await live.call(.patch, "/api/schedules/\(id)", json: #"{"enabled":false}"#)
            let disabled = try await live.call(.post, "/api/schedules/\(id)/trigger")
            #expect(disabled.status == 400)
            #expect(SandcastleAPIFixture.error(disabled.body).code == "SCHEDULE_DISABLED")
            #expect(try fixture.orchestrator.runs.repository.countRuns(.init()) == 0)
        }
    }

    @Test func triggerAndSlotsQueueRunsThatTheScheduleReportsOn() async throws {
        try await SandcastleAPIFixture.with(workflows: ["hello": Self.hello], now: Self.now) { fixture in
            let live = fixture.live
            let created = try await live.call(
                .post, "/api/schedules", json: #"{"workflow_name":"hello","cron_expression":"* * * * *","input_data":{"who":"api"}}"#)
            let id = try #require((created.body["data"] as? [String: Any])?["id"] as? String)

            let triggered = try await live.call(.post, "/api/schedules/\(id)/trigger")
            #expect(triggered.status == 202, "\(triggered.text)")
            let answer = try #require(triggered.body["data"] as? [String: String])
            #expect(answer["status"] == "queued")
            let runID = try #require(answer["run_id"])
            let completed = try await eventually(.seconds(120)) {
                (try await live.call(.get, "/api/runs/\(runID)").body["data"] as? [String: Any])?["status"] as? String == "completed"
            }
            #expect(completed)
            let run = try #require(try await live.call(.get, "/api/runs/\(runID)").body["data"] as? [String: Any])
            #expect(run["workflow_name"] as? String == "hello")
            #expect(run["input_data"] as? [String: String] == ["who": "api"])
            var schedule = try #require(try await live.call(.get, "/api/schedules/\(id)").body["data"] as? [String: Any])
            #expect(schedule["last_run_id"] as? String == runID)
            #expect(schedule["last_run_status"] as? String == "completed")
            #expect(schedule["last_run_at"] as? String == "2030-01-01T00:00:30.000Z")
            #expect(schedule["success_rate"] as? Double == 1)
            #expect(schedule["next_run_at"] as? String == "2030-01-01T00:01:00.000Z")

            // The server's scheduler fires the next slot.
            fixture.clock.advance(to: Self.now + 30)
            let fired = try await eventually(.seconds(30)) {
                let data = try await live.call(.get, "/api/schedules/\(id)").body["data"] as? [String: Any]
                return (data?["last_run_id"] as? String).map { $0 != runID } ?? false
            }
            #expect(fired)
            schedule = try #require(try await live.call(.get, "/api/schedules/\(id)").body["data"] as? [String: Any])
            #expect(schedule["last_run_at"] as? String == "2030-01-01T00:01:00.000Z")
            #expect(schedule["next_run_at"] as? String == "2030-01-01T00:02:00.000Z")
            let listed = try await live.call(.get, "/api/runs?workflow=hello")
            #expect((listed.body["meta"] as? [String: Any])?["total"] as? Int == 2)
        }
    }
}
