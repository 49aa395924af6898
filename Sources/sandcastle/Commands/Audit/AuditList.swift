import ArgumentParser
import EngineService
import Foundation
import JSONValues
import SandcastleClient
import Store

/// `sandcastle audit list [RUN]`: a run's chain in order, or the newest entries of every chain.
struct AuditList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a run's audit entries in order, or the newest entries of every chain.", aliases: ["ls"])

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run whose chain to list (default: every chain, newest first).")
    var runID: String?

    @Option(name: .customLong("event-type"), help: "Only entries of this type (run.created, step.completed, api_key.created, …).")
    var eventType: String?

    @Option(name: .customLong("actor"), help: "Only entries by this actor (a key id, engine, cli, open).")
    var actorID: String?

    @Option(name: .long, help: "At most this many (1–500).")
    var limit = 100

    @Flag(name: .long, help: "Print the entries as a JSON array.")
    var json = false

    func run() async throws {
        let limit = min(max(1, self.limit), 500)
        let rows: [Row]
        if let client = try options.remote() {
            let page = try await Remote.orExit {
                if let runID {
                    try await client.auditEntries(runID: runID, limit: limit)
                } else {
                    try await client.auditEntries(actorID: actorID, eventType: eventType, limit: limit)
                }
            }
            rows = page.items
                .filter { entry in (eventType == nil || entry.eventType == eventType) && (actorID == nil || entry.actorID == actorID) }
                .map {
                    Row(
                        chain: $0.chain ?? ($0.runID.map { "run:\($0)" } ?? "global"), seq: $0.seq ?? 0, time: $0.timestamp ?? "",
                        eventType: $0.eventType, actor: $0.actorID ?? "", payload: $0.payload ?? .object([:]), entryHash: $0.entryHash)
                }
        } else {
            let service = try await options.openService()
            let query = AuditQuery(
                chain: runID.map { .run($0) }, actorID: actorID, eventType: eventType, limit: limit, newestFirst: runID == nil)
            rows = try AuditStore.read { try service.repository.audit.entries(query).entries }.map {
                Row(
                    chain: $0.chain.description, seq: Int($0.seq), time: $0.timestamp, eventType: $0.eventType, actor: $0.actorID,
                    payload: $0.payload, entryHash: $0.entryHash)
            }
        }
        if json {
            Console.print(JSONValue.array(rows.map(\.json)).jsonText)
            return
        }
        guard !rows.isEmpty else {
            Console.print("no audit entries" + (runID.map { " for run \($0)" } ?? ""))
            return
        }
        let table = rows.map { row in
            [
                row.chain, String(row.seq), row.time, row.eventType, row.actor, String(row.entryHash.prefix(12)),
                RemoteRunsFormat.excerpt(row.payload.jsonText, 80),
            ]
        }
        for line in RunsFormat.columns([["CHAIN", "SEQ", "TIME", "EVENT", "ACTOR", "HASH", "PAYLOAD"]] + table) { Console.print(line) }
    }

    struct Row {
        var chain: String
        var seq: Int
        var time: String
        var eventType: String
        var actor: String
        var payload: JSONValue
        var entryHash: String

        var json: JSONValue {
            [
                "chain": .string(chain), "seq": .integer(seq), "timestamp": .string(time), "event_type": .string(eventType),
                "actor_id": .string(actor), "payload": payload, "entry_hash": .string(entryHash),
            ]
        }
    }
}
