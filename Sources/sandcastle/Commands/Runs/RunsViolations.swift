import ArgumentParser
import EngineService
import Foundation
import JSONValues
import SandcastleClient

/// `sandcastle runs violations ID [--json]`: the policy violations of a run (issue 15 §1), from
/// the data folder or a server (`--url`). What matched is shown masked, as it is stored.
struct RunsViolations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "violations", abstract: "List the guardrail policy violations of a run (matches masked).")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Flag(name: .long, help: "Print the violations as a JSON array, as GET /api/runs/{id}/violations answers them.")
    var json = false

    /// One violation, however it was read.
    struct Row {
        var created: Date?
        var step: String
        var index: Int?
        var policy: String
        var severity: String
        var trigger: String
        var matched: String?
        var action: String
        var modified: Bool
        var document: JSONValue
    }

    func run() async throws {
        let rows: [Row]
        if let client = try options.remote() {
            let page = try await Remote.orExit { try await client.runViolations(runID: id) }
            rows = page.items.map(Self.row)
        } else {
            let service = try await options.openService()
            rows = try RunDriver.orExit { try service.violations(runID: id) }.map { record in
                Row(
                    created: record.createdAt, step: record.stepID, index: record.fanoutIndex, policy: record.policyID,
                    severity: record.severity, trigger: record.trigger, matched: record.matched, action: record.action,
                    modified: record.outputModified,
                    document: [
                        "id": .string(record.id), "run_id": .string(record.runID), "step_id": .string(record.stepID),
                        "parallel_index": record.fanoutIndex.map(JSONValue.integer) ?? .null, "policy_id": .string(record.policyID),
                        "severity": .string(record.severity),
                        "trigger_details": [
                            "trigger": .string(record.trigger), "matched": record.matched.map(JSONValue.string) ?? .null,
                            "match_count": .integer(record.matchCount),
                        ],
                        "action_taken": .string(record.action), "output_modified": .bool(record.outputModified),
                        "created_at": .string(ISO8601DateFormatter().string(from: record.createdAt)),
                    ])
            }
        }
        if json {
            Console.print(JSONValue.array(rows.map(\.document)).jsonText)
            return
        }
        guard !rows.isEmpty else {
            Console.print("run \(id) has no policy violations")
            return
        }
        for row in rows {
            let step = row.index.map { "\(row.step)[\($0)]" } ?? row.step
            let time = row.created.map { ISO8601DateFormatter().string(from: $0) } ?? "-"
            Console.print(
                "\(time)  \(step)  \(row.policy)  \(row.severity)  \(row.action)\(row.modified ? " (output changed)" : "")  "
                    + "\(row.trigger)\(row.matched.map { ": \($0)" } ?? "")")
        }
    }

    static func row(_ remote: RemoteViolation) -> Row {
        let details = remote.triggerDetails
        var matched: String?
        if case .string(let text)? = details?.child("matched") { matched = text }
        var trigger = "-"
        if case .string(let text)? = details?.child("trigger") { trigger = text }
        return Row(
            created: remote.createdAt, step: remote.stepID ?? "-", index: remote.parallelIndex, policy: remote.policyID,
            severity: remote.severity ?? "-", trigger: trigger, matched: matched, action: remote.actionTaken ?? "-",
            modified: remote.outputModified ?? false,
            document: [
                "id": .string(remote.id), "run_id": .string(remote.runID), "step_id": remote.stepID.map(JSONValue.string) ?? .null,
                "parallel_index": remote.parallelIndex.map(JSONValue.integer) ?? .null, "policy_id": .string(remote.policyID),
                "severity": remote.severity.map(JSONValue.string) ?? .null, "trigger_details": details ?? .null,
                "action_taken": remote.actionTaken.map(JSONValue.string) ?? .null,
                "output_modified": remote.outputModified.map(JSONValue.bool) ?? .null,
                "created_at": remote.createdAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null,
            ])
    }
}
