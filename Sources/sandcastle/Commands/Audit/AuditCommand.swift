import ArgumentParser
import EngineService
import Store

/// `sandcastle audit verify|list`: the tamper-evident audit log (docs/guardrails.md "Audit
/// chain"), read from the data folder's store or, with --url, from a server's `/api/audit`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify and list the audit log's hash chains.",
        discussion: """
            Every run has a SHA-256 hash chain of what happened to it (created, steps started \
            and finished, approvals, its end); admin actions (API keys, approvals decided, dead \
            letters resolved, schedules, the emergency stop) form one global chain. `verify` \
            recomputes every hash and link and exits 1 when a chain is broken, naming the first \
            bad entry. Works on the data folder (--data-dir, SANDCASTLE_DATA_DIR, ./data), or on \
            the server named by --url (or SANDCASTLE_URL) with --api-key.

            Examples:
              sandcastle audit verify 7f3c…
              sandcastle audit verify --global
              sandcastle audit list 7f3c…
              sandcastle audit list --event-type api_key.created --url http://127.0.0.1:8080
            """,
        subcommands: [AuditVerify.self, AuditList.self])
}

/// The local audit commands' store access: a store failure is reported as one line, exit 1.
enum AuditStore {
    static func read<T>(_ body: () throws -> T) throws -> T {
        try RunDriver.orExit {
            do {
                return try body()
            } catch let error as StoreError {
                throw EngineServiceError(.persistence, "the audit log could not be read: \(error.message)", cause: error)
            }
        }
    }
}
