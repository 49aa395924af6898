import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// The audit log under `/api` (issue 15 §4, Sandcastle's shapes, docs/api.md "Audit chain"):
/// a run's entries and their verification (admin or the run's tenant; another tenant's run is
/// not found), the global chain's verification and the whole log with filters (admin).
extension SandcastleAPIController {
    /// `GET /api/audit` and `/api/runs/{id}/audit` return at most this many entries a page.
    static let maxAuditPage = 500

    func registerAudit(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        let audit = orchestrator.runs.repository.audit
        routes.add(.get, "\(Self.prefix)/audit", native: false) { request, context in
            _ = try Self.admin(context)
            let parameters = Self.queryParameters(request)
            var query = try Self.auditQuery(parameters)
            query.newestFirst = true
            if let runID = parameters["run_id"], !runID.isEmpty {
                guard Self.isRunID(runID) else { throw SandcastleAPIError(.badRequest, "INVALID_ID", "a run id is letters, digits, - and _") }
                query.chain = .run(runID)
            }
            query.actorID = try Self.auditFilter(parameters["actor_id"], "actor_id")
            query.eventType = try Self.auditFilter(parameters["event_type"], "event_type")
            let page = try audit.entries(query)
            return SandcastleEnvelope.page(page.entries.map(Self.auditJSON), total: page.total, limit: query.limit, offset: query.offset)
        }
        routes.add(.get, "\(Self.prefix)/runs/:id/audit", native: false) { request, context in
            let id = try Self.auditedRunID(context, orchestrator: orchestrator, audit: audit)
            var query = try Self.auditQuery(Self.queryParameters(request))
            query.chain = .run(id)
            let page = try audit.entries(query)
            return SandcastleEnvelope.page(page.entries.map(Self.auditJSON), total: page.total, limit: query.limit, offset: query.offset)
        }
        routes.add(.get, "\(Self.prefix)/audit/verify/global", native: false) { _, context in
            _ = try Self.admin(context)
            var data = Self.verificationJSON(try audit.verifyGlobal())
            data["run_id"] = .null
            return SandcastleEnvelope.ok(.object(data))
        }
        routes.add(.get, "\(Self.prefix)/audit/verify/:id", native: false) { _, context in
            let id = try Self.auditedRunID(context, orchestrator: orchestrator, audit: audit)
            var data = Self.verificationJSON(try audit.verify(runID: id))
            data["run_id"] = .string(id)
            return SandcastleEnvelope.ok(.object(data))
        }
    }

    /// The path's run id, which the caller may see: a tenant its own runs only (another's is not
    /// found); an admin also a deleted run whose chain remains.
    static func auditedRunID(_ context: ServerRequestContext, orchestrator: Orchestrator, audit: AuditLog) throws -> String {
        let (id, caller) = try visibleRunID(context, orchestrator: orchestrator)
        if try orchestrator.runs.repository.run(id: id) == nil && (!caller.isAdmin || (try audit.head(of: .run(id))) == nil) {
            throw OrchestratorError(.runNotFound, "run \(id) not found")
        }
        return id
    }

    static func queryParameters(_ request: Request) -> [String: String] {
        Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
    }

    /// `since`, `until` (ISO 8601), `limit` (1–500, default 50), `offset`.
    static func auditQuery(_ parameters: [String: String]) throws -> AuditQuery {
        AuditQuery(
            since: try date(parameters["since"], "since"), until: try date(parameters["until"], "until"),
            limit: try integer(parameters["limit"], "limit", in: 1...maxAuditPage) ?? 50,
            offset: try integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0)
    }

    /// A text filter: at most 200 printable characters (nothing else can match a stored value).
    static func auditFilter(_ text: String?, _ name: String) throws -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard text.count <= 200, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(name)` must be at most 200 printable characters")
        }
        return text
    }

    static func isRunID(_ id: String) -> Bool {
        id.count <= 128
            && id.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }

    /// Sandcastle's audit entry, plus what an independent check needs: `seq`, `chain`, and the
    /// hashed `timestamp` (ms precision) beside `created_at`.
    static func auditJSON(_ entry: AuditEntry) -> JSONValue {
        [
            "id": .integer(Int(entry.id)), "chain": .string(entry.chain.description), "seq": .integer(Int(entry.seq)),
            "event_type": .string(entry.eventType), "run_id": entry.runID.map(JSONValue.string) ?? .null,
            "actor_id": .string(entry.actorID), "actor_key_prefix": entry.actorKeyPrefix.map(JSONValue.string) ?? .null,
            "source_ip": entry.sourceIP.map(JSONValue.string) ?? .null, "payload": entry.payload, "prev_hash": .string(entry.prevHash),
            "entry_hash": .string(entry.entryHash), "timestamp": .string(entry.timestamp), "created_at": .string(entry.timestamp),
        ]
    }

    /// `{valid, chain_length, broken_at}` (Sandcastle's), with the first break's reason and entry.
    static func verificationJSON(_ result: AuditVerification) -> [String: JSONValue] {
        var data: [String: JSONValue] = [
            "valid": .bool(result.valid), "chain_length": .integer(result.chainLength),
            "broken_at": result.broken.map { .integer(Int($0.seq)) } ?? .null,
            "head_hash": result.headHash.map(JSONValue.string) ?? .null,
        ]
        if let broken = result.broken {
            data["broken_entry_id"] = .integer(Int(broken.entryID))
            data["reason"] = .string(broken.code.rawValue)
            data["message"] = .string(broken.message)
        } else {
            data["broken_entry_id"] = .null
            data["reason"] = .null
            data["message"] = .null
        }
        return data
    }
}
