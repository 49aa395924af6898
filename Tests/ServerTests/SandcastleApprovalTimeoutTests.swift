import Foundation
import Orchestrator
import Store
import TestSupport
import Testing

/// Approval gates of runs the server paused time out by themselves: no engine watches a paused
/// run, so `ApprovalDeadlines` must notice the deadline, apply `on_timeout` and requeue the run.
@Suite struct SandcastleApprovalTimeoutTests {
    static func gated(onTimeout: String) -> String {
        """
        name: timed-\(onTimeout)
        steps:
          - id: gate
            type: approval
            approval_config:
              message: "Nobody will answer"
              timeout: 2
              on_timeout: \(onTimeout)
          - id: after
            depends_on: [gate]
            run: echo after
        """
    }

    @Test func aPausedRunsGateTimesOutAndItsOnTimeoutRuleApplies() async throws {
        try await SandcastleAPITests.with { server, orchestrator in
            var ids: [String: String] = [:]
            for rule in ["abort", "skip", "approve"] {
                let submitted = try await server.call(
                    .post, "/api/workflows/run", json: #"{"workflow":\#(SandcastleAPITests.jsonString(Self.gated(onTimeout: rule)))}"#,
                    key: ServerFixture.key)
                ids[rule] = try #require(SandcastleAPITests.data(submitted.body)["run_id"] as? String, "\(submitted.text)")
            }
            // Each pauses first (its slot is free again), with the gate pending.
            for (rule, id) in ids {
                let paused = await eventually(.seconds(60)) {
                    (try? orchestrator.runs.repository.approvals(runID: id, statuses: [.pending]))?.count == 1
                        || (try? orchestrator.runs.run(id: id).run.status) != .pending
                }
                #expect(paused, "\(rule): the gate was never requested")
            }
            let abort = try await SandcastleAPITests.waitForEnd(server, try #require(ids["abort"]))
            #expect(abort["status"] as? String == "failed", "\(abort)")
            #expect((abort["error"] as? String ?? "").contains("timed out") || "\(abort)".contains("timed out"), "\(abort)")
            for rule in ["skip", "approve"] {
                let run = try await SandcastleAPITests.waitForEnd(server, try #require(ids[rule]))
                #expect(run["status"] as? String == "completed", "\(rule): \(run)")
                let steps = run["steps"] as? [[String: Any]] ?? []
                #expect(steps.first { $0["step_id"] as? String == "after" }?["status"] as? String == "completed", "\(rule): \(steps)")
                #expect(
                    steps.first { $0["step_id"] as? String == "gate" }?["status"] as? String == (rule == "skip" ? "skipped" : "completed"),
                    "\(rule): \(steps)")
            }
            let approvals = try await server.call(.get, "/api/approvals", key: ServerFixture.key)
            let statuses = (approvals.body["data"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
            #expect(statuses.count == 3 && statuses.allSatisfy { $0 == "timed_out" }, "\(approvals.text)")
        }
    }
}
