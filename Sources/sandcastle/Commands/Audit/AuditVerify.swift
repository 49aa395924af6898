import ArgumentParser
import EngineService
import JSONValues
import SandcastleClient
import Store

/// `sandcastle audit verify RUN | --global`: recomputes a chain; exit status 1 when it is broken.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Recompute a run's (or the global) audit chain; exit 1 when it is broken.")

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run whose chain to verify.")
    var runID: String?

    @Flag(name: .long, help: "Verify the global chain of admin actions instead of a run's.")
    var global = false

    @Flag(name: .long, help: "Print the result as JSON ({run_id, valid, chain_length, broken_at, …}).")
    var json = false

    func validate() throws {
        guard (runID != nil) != global else { throw ValidationError("give a run id or --global (one of them)") }
    }

    func run() async throws {
        let result: Verification
        if let client = try options.remote() {
            let remote = try await Remote.orExit {
                if let runID { try await client.verifyAudit(runID: runID) } else { try await client.verifyGlobalAudit() }
            }
            result = Verification(
                runID: remote.runID, valid: remote.valid, length: remote.chainLength, brokenAt: remote.brokenAt,
                brokenEntryID: remote.brokenEntryID, reason: remote.reason, message: remote.message, headHash: remote.headHash)
        } else {
            let service = try await options.openService()
            let audit = service.repository.audit
            let verification = try AuditStore.read {
                if let runID {
                    guard try service.repository.run(id: runID) != nil || (try audit.head(of: .run(runID))) != nil else {
                        throw EngineServiceError(.notFound, "no run \(runID) and no audit chain for it")
                    }
                    return try audit.verify(runID: runID)
                }
                return try audit.verifyGlobal()
            }
            result = Verification(
                runID: runID, valid: verification.valid, length: verification.chainLength, brokenAt: verification.broken.map { Int($0.seq) },
                brokenEntryID: verification.broken.map { Int($0.entryID) }, reason: verification.broken?.code.rawValue,
                message: verification.broken?.message, headHash: verification.headHash)
        }
        Console.print(json ? result.json.jsonText : result.line)
        if !result.valid { throw ExitCode(1) }
    }

    /// A verification, local or remote, as the command prints it.
    struct Verification {
        var runID: String?
        var valid: Bool
        var length: Int
        var brokenAt: Int?
        var brokenEntryID: Int?
        var reason: String?
        var message: String?
        var headHash: String?

        var line: String {
            let chain = runID.map { "run \($0)" } ?? "global chain"
            let entries = "\(length) entr\(length == 1 ? "y" : "ies")"
            guard !valid else { return "\(chain): valid, \(entries)" + (headHash.map { ", head \($0)" } ?? "") }
            return "\(chain): BROKEN at entry \(brokenAt.map(String.init) ?? "?") (id \(brokenEntryID.map(String.init) ?? "?")): "
                + "\(reason ?? "broken"); \(message ?? "") [\(entries)]"
        }

        var json: JSONValue {
            [
                "run_id": runID.map(JSONValue.string) ?? .null, "valid": .bool(valid), "chain_length": .integer(length),
                "broken_at": brokenAt.map(JSONValue.integer) ?? .null, "broken_entry_id": brokenEntryID.map(JSONValue.integer) ?? .null,
                "reason": reason.map(JSONValue.string) ?? .null, "message": message.map(JSONValue.string) ?? .null,
                "head_hash": headHash.map(JSONValue.string) ?? .null,
            ]
        }
    }
}
