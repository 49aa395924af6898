import Foundation
import Testing

@testable import Store

/// Policy violations in both repositories: written atomically with other changes, the tenant
/// taken from the run's submission, the filters, pages and counts.
@Suite struct ViolationRepositoryTests {
    static func violation(_ id: String, run: String = "r1", step: String = "a", policy: String, severity: String, action: String, at seconds: Double)
        -> ViolationRecord
    {
        ViolationRecord(
            id: id, runID: run, stepID: step, policyID: policy, severity: severity, trigger: "email", matched: "alic…com", matchCount: 2,
            action: action, outputModified: action == "redact", tenant: "forged", createdAt: Date(timeIntervalSince1970: seconds))
    }

    @Test(arguments: RepositoryKind.allCases)
    func filtersPagesStatsAndTenants(kind: RepositoryKind) throws {
        try withTemporaryDirectory { dir in
            let repo = try kind.make(in: dir)
            try repo.write([
                .createRun(RunRecord(id: "r1", workflowName: "w")), .recordSubmission(RunSubmissionRecord(runID: "r1", tenant: "acme")),
                .createRun(RunRecord(id: "r2", workflowName: "w")),
                .recordViolation(Self.violation("v1", policy: "no-email", severity: "high", action: "redact", at: 1000)),
                .recordViolation(Self.violation("v2", step: "b", policy: "no-email", severity: "high", action: "redact", at: 2000)),
                .recordViolation(Self.violation("v3", run: "r2", policy: "slow", severity: "low", action: "alert", at: 3000)),
            ])
            let all = try repo.violations(ViolationQuery())
            #expect(all.map(\.id) == ["v3", "v2", "v1"], "newest first")
            let first = try #require(all.last)
            #expect(first.tenant == "acme", "the tenant is the run's, whatever the writer says")
            #expect(all.first?.tenant == nil, "an admin's run has none")
            #expect(first.matched == "alic…com" && first.matchCount == 2 && first.outputModified && first.fanoutIndex == nil)
            #expect(first.createdAt == Date(timeIntervalSince1970: 1000))

            #expect(try repo.violations(ViolationQuery(runID: "r1")).map(\.id) == ["v2", "v1"])
            #expect(try repo.violations(ViolationQuery(stepID: "b")).map(\.id) == ["v2"])
            #expect(try repo.violations(ViolationQuery(policyID: "slow")).map(\.id) == ["v3"])
            #expect(try repo.violations(ViolationQuery(severity: "high", limit: 1, offset: 1)).map(\.id) == ["v1"])
            #expect(
                try repo.violations(ViolationQuery(since: Date(timeIntervalSince1970: 1500), until: Date(timeIntervalSince1970: 3000))).map(\.id)
                    == ["v2"])
            #expect(try repo.violations(ViolationQuery(tenant: "acme")).map(\.id) == ["v2", "v1"])
            #expect(try repo.violations(ViolationQuery(tenant: "other")).isEmpty)
            #expect(try repo.countViolations(ViolationQuery(severity: "high", limit: 1)) == 2, "counts ignore the page")

            let stats = try repo.violationStats(ViolationQuery())
            #expect(
                stats
                    == ViolationStats(total: 3, bySeverity: ["high": 2, "low": 1], byPolicy: ["no-email": 2, "slow": 1], byAction: ["redact": 2, "alert": 1]))
            #expect(try repo.violationStats(ViolationQuery(tenant: "acme")).total == 2)

            // All or nothing: a violation of a run that does not exist fails the whole write.
            #expect(
                storeError {
                    try repo.write([
                        .recordViolation(Self.violation("v4", policy: "p", severity: "low", action: "log", at: 4000)),
                        .recordViolation(Self.violation("v5", run: "nope", policy: "p", severity: "low", action: "log", at: 4000)),
                    ])
                }?.code == .constraint)
            #expect(try repo.countViolations(ViolationQuery()) == 3)
        }
    }
}
