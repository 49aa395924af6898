import Foundation
import JSONValues
import TestSupport
import Testing

@testable import Store

/// The audit chain as the store writes it: entries appended by the repository's own writes, in
/// order, verifying valid; tampering with the SQLite file by hand (edited, removed, swapped rows)
/// is found and the broken entry named; two writers on one file never fork a chain; and the
/// Python of docs/guardrails.md recomputes the same hashes.
@Suite struct AuditChainTests {
    /// A run as the engine records it: created, started, one step with a priced model call, an
    /// approval asked and decided, completed.
    static func recordRun(_ repository: SQLiteRunRepository, id: String = "run-1") throws {
        let start = Date()
        try repository.createRun(RunRecord(id: id, workflowName: "audited", createdAt: start))
        try repository.updateRunStatus(id: id, to: .running, at: start)
        try repository.write([
            .upsertStep(StepRecord(runID: id, stepID: "a", status: .running, attempt: 1, startedAt: start)),
            .recordAttempt(StepAttemptRecord(runID: id, stepID: "a", attempt: 1, backend: "docker", startedAt: start)),
            .event(id, "step_started", "{}"),
        ])
        try repository.write([
            .recordModelCall(ModelCallRecord(runID: id, stepID: "a", attempt: 1, turn: 1, provider: "double", model: "m", costUSD: 0.1)),
            .recordModelCall(ModelCallRecord(runID: id, stepID: "a", attempt: 1, turn: 2, provider: "double", model: "m", costUSD: 0.2)),
        ])
        try repository.write([
            .recordAttempt(
                StepAttemptRecord(runID: id, stepID: "a", attempt: 1, backend: "docker", exitCode: 0, startedAt: start, finishedAt: Date())),
            .upsertStep(StepRecord(runID: id, stepID: "a", status: .completed, attempt: 1, exitCode: 0, outputText: "hi", finishedAt: Date())),
            .event(id, "step_finished", "{}"),
        ])
        _ = try repository.requestApproval(ApprovalRecord(runID: id, stepID: "gate", message: "ok?"))
        _ = try AuditActor.$current.withValue(AuditActor(id: "key_reviewer", keyPrefix: "sc_abcde", sourceIP: "10.0.0.7")) {
            try repository.decideApproval(
                runID: id, stepID: "gate", status: .approved, decidedBy: "alice", comment: "fine", responseJSON: nil, at: Date())
        }
        try repository.updateRunStatus(id: id, to: .completed, at: Date())
    }

    static let runEvents = [
        "run.created", "run.started", "step.started", "step.completed", "approval.requested", "approval.decided", "run.completed",
    ]

    @Test func aRunsChangesAreChainedInOrderAndVerify() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try Self.recordRun(repository)
            let entries = try repository.audit.chainEntries(.run("run-1"))
            #expect(entries.map(\.eventType) == Self.runEvents)
            #expect(entries.map(\.seq) == Array(1...7))
            #expect(entries.first?.prevHash == "genesis")
            for (previous, entry) in zip(entries, entries.dropFirst()) {
                #expect(entry.prevHash == previous.entryHash)
                #expect(entry.createdAtMs > previous.createdAtMs)
            }
            let completed = try #require(entries.first { $0.eventType == "step.completed" })
            #expect(completed.payload.child("cost_usd") == .number(0.1 + 0.2))
            #expect(completed.actorID == "engine")
            let decided = try #require(entries.first { $0.eventType == "approval.decided" })
            #expect(decided.actorID == "key_reviewer" && decided.actorKeyPrefix == "sc_abcde" && decided.sourceIP == "10.0.0.7")
            #expect(decided.payload.child("decided_by") == "alice")

            let verification = try repository.audit.verify(runID: "run-1")
            #expect(verification.valid && verification.chainLength == 7 && verification.headHash == entries.last?.entryHash)
            // The decision is an admin action too.
            let global = try repository.audit.chainEntries(.global)
            #expect(global.map(\.eventType) == ["approval.decided"])
            #expect(global.first?.payload.child("run_id") == "run-1")
            #expect(try repository.audit.verifyGlobal().valid)
        }
    }

    /// A recorded run's store (``recordRun(_:)``) after `sql` ran on its file through the sqlite3
    /// program: an edit by hand, as someone with the file would make it.
    static func editedByHand(in dir: URL, _ sql: String) async throws -> SQLiteRunRepository {
        let path = dir.appendingPathComponent("s.sqlite").path
        let repository = try SQLiteRunRepository(path: path)
        try recordRun(repository)
        let edit = try await runChild("sqlite3", [path, sql])
        #expect(edit.status == 0, "\(edit.text)")
        return repository
    }

    @Test func aRowEditedInTheFileIsNamed() async throws {
        try await withTemporaryDirectory { dir in
            // The step's cost is made smaller.
            let repository = try await Self.editedByHand(
                in: dir,
                #"UPDATE audit_entries SET payload_json = replace(payload_json, '"cost_usd":0.30000000000000004', '"cost_usd":0.01') WHERE chain = 'run:run-1' AND seq = 4"#
            )
            #expect(try repository.audit.chainEntries(.run("run-1"))[3].payloadJSON.contains(#""cost_usd":0.01"#))
            let verification = try repository.audit.verify(runID: "run-1")
            #expect(!verification.valid)
            #expect(verification.chainLength == 7)
            #expect(verification.broken?.seq == 4 && verification.broken?.code == .hashMismatch, "\(String(describing: verification.broken))")
            #expect(verification.broken?.message.contains("entry 4") == true)
        }
    }

    @Test func anEditWithItsHashRecomputedBreaksTheNextLink() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.sqlite").path
            let repository = try SQLiteRunRepository(path: path)
            try Self.recordRun(repository)
            // A forger who also recomputes the edited entry's own hash still breaks the entry after it.
            let entry = try repository.audit.chainEntries(.run("run-1"))[1]
            var forged = entry
            forged.payloadJSON = #"{"status":"running","note":"nothing to see"}"#
            forged.entryHash = AuditHasher.expectedHash(of: forged)
            let edit = try await runChild(
                "sqlite3", [path, "UPDATE audit_entries SET payload_json = '\(forged.payloadJSON)', entry_hash = '\(forged.entryHash)' WHERE id = \(entry.id)"])
            #expect(edit.status == 0, "\(edit.text)")
            let verification = try repository.audit.verify(runID: "run-1")
            #expect(verification.broken?.seq == 3 && verification.broken?.code == .prevLinkBroken, "\(String(describing: verification.broken))")
        }
    }

    @Test func aDeletedMiddleRowIsFound() async throws {
        try await withTemporaryDirectory { dir in
            let repository = try await Self.editedByHand(in: dir, "DELETE FROM audit_entries WHERE chain = 'run:run-1' AND seq = 3")
            let verification = try repository.audit.verify(runID: "run-1")
            #expect(verification.chainLength == 6)
            #expect(verification.broken?.seq == 4 && verification.broken?.code == .seqGap, "\(String(describing: verification.broken))")
        }
    }

    @Test func renumberedRowsAfterADeletionAreFound() async throws {
        try await withTemporaryDirectory { dir in
            // Hiding the gap by renumbering still leaves entry 3 pointing at the removed entry.
            let repository = try await Self.editedByHand(
                in: dir,
                "DELETE FROM audit_entries WHERE chain = 'run:run-1' AND seq = 3; UPDATE audit_entries SET seq = -seq WHERE chain = 'run:run-1' AND seq > 3; UPDATE audit_entries SET seq = -seq - 1 WHERE chain = 'run:run-1' AND seq < 0"
            )
            let verification = try repository.audit.verify(runID: "run-1")
            #expect(verification.chainLength == 6)
            #expect(verification.broken?.seq == 3 && verification.broken?.code == .prevLinkBroken, "\(String(describing: verification.broken))")
        }
    }

    @Test func swappedRowsAreFound() async throws {
        try await withTemporaryDirectory { dir in
            // Entries 3 and 4 trade places (their sequence numbers swapped).
            let repository = try await Self.editedByHand(
                in: dir,
                "UPDATE audit_entries SET seq = CASE seq WHEN 3 THEN -4 ELSE -3 END WHERE chain = 'run:run-1' AND seq IN (3, 4); UPDATE audit_entries SET seq = -seq WHERE seq < 0"
            )
            let entries = try repository.audit.chainEntries(.run("run-1"))
            #expect(entries.map(\.eventType)[2...3] == ["step.completed", "step.started"])
            let verification = try repository.audit.verify(runID: "run-1")
            #expect(verification.broken?.seq == 3 && verification.broken?.code == .prevLinkBroken, "\(String(describing: verification.broken))")
        }
    }

    @Test func entriesStampedAtTheSameInstantStillIncrease() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let instant = Date()
            for index in 0..<5 {
                try repository.audit.append(AuditEvent("test.same_time", chain: .global, payload: ["i": .integer(index)], time: instant))
            }
            let times = try repository.audit.chainEntries(.global).map(\.createdAtMs)
            #expect(times == Array(times[0]...(times[0] + 4)))
            #expect(try repository.audit.verifyGlobal().valid)
        }
    }

    @Test func appendingOutsideATransactionIsRefused() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let error = storeError {
                _ = try repository.database.read { conn in try AuditLog.append(.global("test.outside"), on: conn) }
            }
            #expect(error?.code == .invalidArgument)
            #expect(try repository.audit.chainEntries(.global).isEmpty)
        }
    }

    /// Two repositories on one file (two processes' worth of connections) append to the same run
    /// chain and the global chain at once: every entry links to the one before, no seq repeats.
    @Test func twoWritersNeverForkAChain() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.sqlite").path
            let first = try SQLiteRunRepository(path: path)
            let second = try SQLiteRunRepository(path: path)
            try first.createRun(RunRecord(id: "shared", workflowName: "w"))
            let perWriter = 100
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, repository) in [("one", first), ("two", second)] {
                    group.addTask {
                        try await offThePool {
                            for index in 0..<perWriter {
                                try repository.write([
                                    .appendAudit(AuditEvent("test.\(name)", chain: .run("shared"), payload: ["i": .integer(index)])),
                                    .appendAudit(AuditEvent.global("test.\(name)", payload: ["i": .integer(index)])),
                                ])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let run = try first.audit.verify(runID: "shared")
            #expect(run.valid && run.chainLength == 1 + 2 * perWriter, "\(String(describing: run.broken))")
            let global = try second.audit.verifyGlobal()
            #expect(global.valid && global.chainLength == 2 * perWriter, "\(String(describing: global.broken))")
            let kinds = Set(try first.audit.chainEntries(.global).map(\.eventType))
            #expect(kinds == ["test.one", "test.two"])
        }
    }

    @Test func keyChangesAreOnTheGlobalChainWithoutTheKey() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let keys = SQLiteAPIKeyRepository(database: repository.database)
            let hash = String(repeating: "ab", count: 32)
            try AuditActor.$current.withValue(AuditActor(id: "key_admin", keyPrefix: "sc_admin")) {
                try keys.insert(APIKeyRecord(id: "key_1", keyPrefix: "sc_12345", keyHash: hash, tenantID: "acme", name: "ci"))
                try keys.insert(
                    APIKeyRecord(
                        id: "key_2", keyPrefix: "sc_67890", keyHash: String(repeating: "cd", count: 32), tenantID: "acme", name: "ci", rotatedFrom: "key_1"))
                #expect(try keys.setExpiry(id: "key_1", Date(timeIntervalSince1970: 2_000_000_000)))
                #expect(try keys.setAllowedCIDRs(id: "key_2", ["10.0.0.0/8"]))
                #expect(try keys.deactivate(id: "key_1"))
                #expect(try keys.deactivate(id: "key_1") == false)
            }
            try keys.touch(id: "key_2", at: Date())
            let entries = try repository.audit.chainEntries(.global)
            #expect(
                entries.map(\.eventType) == ["api_key.created", "api_key.rotated", "api_key.expiry_set", "api_key.allowlist_changed", "api_key.revoked"])
            #expect(entries.allSatisfy { $0.actorID == "key_admin" && $0.actorKeyPrefix == "sc_admin" })
            #expect(entries[0].payload.child("key_prefix") == "sc_12345" && entries[0].payload.child("tenant_id") == "acme")
            #expect(entries[1].payload.child("rotated_from") == "key_1")
            #expect(entries[2].payload.child("expires_at") == "2033-05-18T03:33:20.000Z")
            #expect(entries.allSatisfy { !$0.payloadJSON.contains("abab") && !$0.payloadJSON.contains("cdcd") })
            #expect(try repository.audit.verifyGlobal().valid)
        }
    }

    @Test func schedulesAndDeadLettersAreRecorded() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            let now = Date()
            try repository.createSchedule(
                ScheduleRecord(id: "s1", workflowName: "w", cronExpression: "*/5 * * * *", createdAt: now, updatedAt: now, armedAt: now))
            _ = try repository.updateSchedule(id: "s1", ScheduleUpdate(enabled: false), at: now)
            #expect(try repository.deleteSchedule(id: "s1"))
            #expect(try repository.deleteSchedule(id: "s1") == false)
            try repository.createRun(RunRecord(id: "r", workflowName: "w"))
            let item = try repository.recordDeadLetter(DeadLetterRecord(id: "d1", runID: "r", stepID: "a", error: "boom"))
            _ = try repository.recordDeadLetter(item)
            _ = try repository.resolveDeadLetter(id: "d1", by: .manual, reason: "handled", retryRunID: nil, at: Date())
            #expect(
                try repository.audit.chainEntries(.global).map(\.eventType)
                    == ["schedule.created", "schedule.updated", "schedule.deleted", "dead_letter.resolved"])
            #expect(try repository.audit.chainEntries(.run("r")).map(\.eventType) == ["run.created", "dead_letter.recorded", "dead_letter.resolved"])
            #expect(try repository.audit.verifyGlobal().valid && repository.audit.verify(runID: "r").valid)
        }
    }

    @Test func aDeletedRunKeepsItsChain() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try Self.recordRun(repository)
            #expect(try repository.deleteRun(id: "run-1"))
            let verification = try repository.audit.verify(runID: "run-1")
            #expect(verification.valid && verification.chainLength == 7)
        }
    }

    @Test func entriesFilterByActorTypeAndTime() throws {
        try withTemporaryDirectory { dir in
            let repository = try SQLiteRunRepository(path: dir.appendingPathComponent("s.sqlite").path)
            try Self.recordRun(repository)
            let (all, total) = try repository.audit.entries(AuditQuery(limit: 3, newestFirst: true))
            #expect(total == 8 && all.count == 3 && all.first?.eventType == "run.completed")
            #expect(try repository.audit.entries(AuditQuery(actorID: "key_reviewer")).total == 2)
            #expect(try repository.audit.entries(AuditQuery(chain: .run("run-1"), eventType: "step.started")).entries.map(\.seq) == [3])
            #expect(try repository.audit.entries(AuditQuery(since: Date().addingTimeInterval(3600))).total == 0)
        }
    }

    /// The Python of docs/guardrails.md recomputes every hash of a real database: all ok, then
    /// after a hand edit the edited entry is BROKEN and it exits 1.
    @Test func theDocumentedPythonVerifiesTheSameHashes() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("s.sqlite").path
            let repository = try SQLiteRunRepository(path: path)
            try Self.recordRun(repository)
            // Payloads Python must re-encode exactly: non-ASCII, control characters, floats.
            try repository.audit.append(
                .global(
                    "test.tricky",
                    payload: [
                        "text": "é 中 😀 \u{01}\u{7F} \"q\" <b>", "tiny": .number(1e-7), "big": .number(1e16), "whole": .number(3), "list": [1, .number(0.5)],
                        "😀": true, "\u{FF5E}": .null,
                    ]))
            let script = try Self.documentedVerifier()
            let intact = try await runChild("python3", ["-c", script, path])
            #expect(intact.status == 0, "\(intact.text)")
            let lines = intact.text.split(separator: "\n")
            #expect(lines.count == 9 && lines.allSatisfy { $0.hasSuffix(" ok") }, "\(intact.text)")

            let edit = try await runChild("sqlite3", [path, "UPDATE audit_entries SET actor_id = 'someone-else' WHERE chain = 'run:run-1' AND seq = 6"])
            #expect(edit.status == 0, "\(edit.text)")
            let tampered = try await runChild("python3", ["-c", script, path])
            #expect(tampered.status == 1, "\(tampered.text)")
            #expect(tampered.text.contains("run:run-1 6 approval.decided BROKEN"), "\(tampered.text)")
            #expect(try repository.audit.verify(runID: "run-1").broken?.seq == 6)
        }
    }

    /// The ```python block after `<!-- audit-verify.py -->` in docs/guardrails.md.
    static func documentedVerifier() throws -> String {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/guardrails.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let marker = try #require(text.range(of: "<!-- audit-verify.py -->\n```python\n"))
        let end = try #require(text.range(of: "\n```", range: marker.upperBound..<text.endIndex))
        return String(text[marker.upperBound..<end.lowerBound])
    }
}
