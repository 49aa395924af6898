import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// Sandcastle's dead-letter queue under `/api/dead-letter`: list (open items unless
/// `resolved=true`), get, retry (a new run of the whole workflow with its parent), resolve (with
/// an optional `{reason}`). Items are Sandcastle's `DeadLetterItemResponse`.
extension SandcastleAPIController {
    /// The longest `reason` a resolution keeps.
    static let maxResolveReasonCharacters = 4000

    func registerDeadLetters(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.get, "\(Self.prefix)/dead-letter", native: false) { request, context in
            let parameters = Dictionary(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            // Sandcastle's `resolved=true` includes the resolved items; the default lists the open ones.
            let includeResolved = try Self.boolean(parameters["resolved"], "resolved") ?? false
            let limit = try Self.integer(parameters["limit"], "limit", in: 1...200) ?? 50
            let offset = try Self.integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0
            let page = try orchestrator.deadLetters(resolved: includeResolved ? nil : false, tenant: try Self.tenant(of: context), limit: limit, offset: offset)
            return SandcastleEnvelope.page(page.items.map(Self.deadLetterJSON), total: page.total, limit: limit, offset: offset)
        }
        routes.add(.get, "\(Self.prefix)/dead-letter/:id", native: false) { _, context in
            SandcastleEnvelope.ok(Self.deadLetterJSON(try orchestrator.deadLetter(id: try Self.deadLetterID(context), tenant: try Self.tenant(of: context))))
        }
        routes.add(.post, "\(Self.prefix)/dead-letter/:id/retry", native: false) { _, context in
            let id = try Self.deadLetterID(context)
            let newRunID = try await orchestrator.retryDeadLetter(id: id, tenant: try Self.tenant(of: context))
            return SandcastleEnvelope.ok(["retried": true, "dlq_item_id": .string(id), "new_run_id": .string(newRunID)])
        }
        routes.add(.post, "\(Self.prefix)/dead-letter/:id/resolve", native: false) { request, context in
            let id = try Self.deadLetterID(context)
            // The body is optional (Sandcastle's CLI sends none).
            let bytes = try await HTTP.body(request, limit: Self.maxBodyBytes)
            var reason: String?
            if !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                guard case .object(let body)? = JSONValue.parse(json: String(decoding: bytes, as: UTF8.self)) else {
                    throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "the body must be a JSON object")
                }
                reason = try Self.optionalString(body, "reason")
                if let text = reason, text.count > Self.maxResolveReasonCharacters {
                    throw SandcastleAPIError(
                        .unprocessableContent, "VALIDATION_ERROR", "`reason` is longer than \(Self.maxResolveReasonCharacters) characters")
                }
            }
            return SandcastleEnvelope.ok(Self.deadLetterJSON(try orchestrator.resolveDeadLetter(id: id, reason: reason, tenant: try Self.tenant(of: context))))
        }
    }

    /// The caller's tenant, which scopes the items it sees: nil for an admin, who sees every item.
    static func tenant(of context: ServerRequestContext) throws -> String? { try caller(context).tenantID }

    static func deadLetterID(_ context: ServerRequestContext) throws -> String {
        let id = context.parameters.get("id") ?? ""
        guard (1...64).contains(id.utf8.count), id.utf8.allSatisfy({ $0.isASCIIAlphanumeric || $0 == 0x2D || $0 == 0x5F }) else {
            throw SandcastleAPIError(.badRequest, "INVALID_ID", "a dead letter id is 1-64 letters, digits, '-' or '_'")
        }
        return id
    }

    /// A query flag as FastAPI reads a `bool` (true/false, 1/0, yes/no, on/off).
    static func boolean(_ text: String?, _ name: String) throws -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(name)` must be true or false")
        }
    }

    /// Sandcastle's `DeadLetterItemResponse`, plus what a resolution recorded (`resolve_reason`,
    /// `retry_run_id`).
    static func deadLetterJSON(_ item: DeadLetterRecord) -> JSONValue {
        [
            "id": .string(item.id), "run_id": .string(item.runID), "step_id": .string(item.stepID),
            "parallel_index": item.parallelIndex.map(JSONValue.integer) ?? .null, "error": item.error.map(JSONValue.string) ?? .null,
            "input_data": item.inputJSON.flatMap { JSONValue.parse(json: $0) } ?? .null, "attempts": .integer(item.attempts),
            "created_at": SandcastleEnvelope.timestamp(item.createdAt), "resolved_at": SandcastleEnvelope.timestamp(item.resolvedAt),
            "resolved_by": item.resolvedBy.map { JSONValue.string($0.rawValue) } ?? .null,
            "resolve_reason": item.resolveReason.map(JSONValue.string) ?? .null,
            "retry_run_id": item.retryRunID.map(JSONValue.string) ?? .null,
        ]
    }
}

extension UInt8 {
    fileprivate var isASCIIAlphanumeric: Bool { (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }
}
