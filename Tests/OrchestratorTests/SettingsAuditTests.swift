import EngineService
import Foundation
import JSONValues
import Logging
import ModelProviders
import Orchestrator
import Store
import Testing
import Workflow

/// "Settings changed" on the global audit chain: each start of a server over the same data
/// folder records its guarding settings only when they differ from the last recorded ones, with
/// what changed and what it was, and the chain stays valid.
struct SettingsAuditTests {
    /// An orchestrator over `data` with `settings`, as `sandcastle serve` makes one (no Docker needed).
    static func orchestrator(_ data: String, _ configure: (inout EngineSettings) -> Void = { _ in }) async throws -> Orchestrator {
        var settings = EngineSettings(dataDirectory: data)
        configure(&settings)
        let runs = try await RunService.open(settings, sandboxes: .optional, creatingStore: true)
        return Orchestrator(runs: runs, workflowsFolder: nil, maxConcurrentRuns: 4, logger: Logger(label: "test.settings"))
    }

    @Test func aRestartRecordsOnlyTheSettingsThatChanged() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("sc-settings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }

        let first = try await Self.orchestrator(data) {
            $0.complianceMode = .euAIAct
            $0.dataResidency = .eu
            $0.privacy = PrivacySettings(enabled: true)
        }
        let initially = first.guardedSettings(server: ["auth": "api_keys"])
        #expect(try first.recordSettings(initially) == initially.keys.sorted(), "the first start records every setting")
        #expect(try first.recordSettings(initially).isEmpty, "the same settings again add nothing")

        // Restarted with compliance off, privacy off and open mode: exactly those are named, with their old values.
        let second = try await Self.orchestrator(data) { $0.dataResidency = .eu }
        let changed = try second.recordSettings(second.guardedSettings(server: ["auth": "open"]))
        #expect(changed == ["auth", "compliance_mode", "privacy"])

        let audit = second.runs.repository.audit
        let entries = try audit.entries(AuditQuery(chain: .global, eventType: Orchestrator.settingsChangedEvent, limit: 10)).entries
        #expect(entries.count == 2)
        let last = try #require(entries.last.flatMap { JSONValue.parse(json: $0.payloadJSON) })
        #expect(last.child("changed") == ["auth", "compliance_mode", "privacy"])
        #expect(last.child("previous") == ["auth": "api_keys", "compliance_mode": "eu_ai_act", "privacy": initially["privacy"] ?? .null])
        #expect(last.child("settings")?.child("compliance_mode") == .null)
        #expect(last.child("settings")?.child("data_residency") == "eu")
        #expect(last.child("settings")?.child("privacy")?.child("enabled") == false)
        #expect(entries.allSatisfy { $0.actorID == "cli" })
        #expect(try audit.verifyGlobal().valid)
    }
}
