import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// Sandcastle's `/api/api-keys`: create (admin; the plaintext key is in this answer only), list
/// (active keys; a tenant key sees its tenant's), deactivate (a tenant key its tenant's only),
/// rotate (admin; the old key keeps working for the grace period, then answers `KEY_EXPIRED`;
/// an empty body is accepted, as Sandcastle's CLI sends none), and the CIDR allowlist (admin).
extension SandcastleAPIController {
    package init(orchestrator: Orchestrator, version: String, scheduler: Scheduler?, keys: APIKeyService?) {
        self.init(orchestrator: orchestrator, version: version, scheduler: scheduler)
        self.keys = keys
    }

    /// Registers nothing when the server has no key service.
    func registerKeys(_ routes: RouteTable) {
        guard let keys else { return }
        let path = "\(Self.prefix)/api-keys"
        routes.add(.post, path, native: false) { request, context in
            _ = try Self.admin(context)
            let body = try await Self.object(request)
            let name = try Self.requiredString(body, "name")
            guard name.count <= 200 else { throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`name` is at most 200 characters") }
            let tenant = try Self.optionalString(body, "tenant_id")
            if let tenant, tenant.isEmpty || tenant.count > 200 {
                throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`tenant_id` is 1 to 200 characters, or null for an admin key")
            }
            let made = try keys.create(
                APIKeyService.NewKey(
                    name: name, tenantID: tenant, maxCostPerRunUSD: try Self.optionalBudget(body, "max_cost_per_run_usd"),
                    allowedWorkflows: try Self.optionalStrings(body, "allowed_workflows"),
                    allowedCIDRs: try Self.optionalStrings(body, "allowed_cidrs")))
            return SandcastleEnvelope.ok(
                [
                    "id": .string(made.record.id), "key_prefix": .string(made.record.keyPrefix),
                    "tenant_id": made.record.tenantID.map(JSONValue.string) ?? .null, "name": .string(made.record.name),
                    "key": .string(made.key), "allowed_workflows": Self.strings(made.record.allowedWorkflows),
                ],
                status: .created)
        }
        routes.add(.get, path, native: false) { request, context in
            let caller = try Self.caller(context)
            let parameters = Dictionary(
                request.uri.queryParameters.map { (String($0.key), String($0.value)) }, uniquingKeysWith: { first, _ in first })
            let limit = try Self.integer(parameters["limit"], "limit", in: 1...200) ?? 50
            let offset = try Self.integer(parameters["offset"], "offset", in: 0...Int(Int32.max)) ?? 0
            let page = try keys.list(tenant: caller.tenantID, limit: limit, offset: offset)
            return SandcastleEnvelope.page(page.keys.map(Self.keyJSON), total: page.total, limit: limit, offset: offset)
        }
        routes.add(.delete, "\(path)/:id", native: false) { _, context in
            let caller = try Self.caller(context)
            let id = try Self.keyID(context)
            try keys.deactivate(id: id, tenant: caller.tenantID)
            return SandcastleEnvelope.ok(["deactivated": true, "id": .string(id)])
        }
        routes.add(.post, "\(path)/:id/rotate", native: false) { request, context in
            _ = try Self.admin(context)
            let id = try Self.keyID(context)
            let body = try await Self.optionalObject(request)
            var grace: Int?
            switch body["grace_period_hours"] {
            case nil, .null?: grace = nil
            case .integer(let hours)? where (0...APIKeyService.maxGraceHours).contains(hours): grace = hours
            default:
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR", "`grace_period_hours` must be an integer from 0 to \(APIKeyService.maxGraceHours)")
            }
            let rotated = try keys.rotate(id: id, graceHours: grace)
            // Sandcastle's shape, plus the names its own CLI reads (`key`, `grace_expires_at`): its
            // `keys rotate` printed an empty key against Sandcastle itself.
            return SandcastleEnvelope.ok([
                "new_key": .string(rotated.key), "new_key_id": .string(rotated.record.id), "old_key_id": .string(rotated.old.id),
                "old_key_expires_at": SandcastleEnvelope.timestamp(rotated.old.expiresAt),
                "grace_period_hours": .integer(grace ?? keys.defaultGraceHours), "key": .string(rotated.key),
                "grace_expires_at": SandcastleEnvelope.timestamp(rotated.old.expiresAt),
            ])
        }
        routes.add(.put, "\(path)/:id/allowlist", native: false) { request, context in
            _ = try Self.admin(context)
            let id = try Self.keyID(context)
            let body = try await Self.object(request)
            guard let cidrs = try Self.optionalStrings(body, "cidrs") else {
                throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`cidrs` (a list of CIDR blocks, empty for anywhere) is required")
            }
            return SandcastleEnvelope.ok(Self.keyJSON(try keys.setAllowlist(id: id, cidrs: cidrs)))
        }
    }

    /// A key as Sandcastle lists it (never its hash).
    static func keyJSON(_ key: APIKeyRecord) -> JSONValue {
        [
            "id": .string(key.id), "key_prefix": .string(key.keyPrefix), "tenant_id": key.tenantID.map(JSONValue.string) ?? .null,
            "name": .string(key.name), "is_active": .bool(key.isActive),
            "max_cost_per_run_usd": key.maxCostPerRunUSD.map(JSONValue.number) ?? .null,
            "expires_at": SandcastleEnvelope.timestamp(key.expiresAt), "allowed_cidrs": strings(key.allowedCIDRs),
            "allowed_workflows": strings(key.allowedWorkflows), "created_at": SandcastleEnvelope.timestamp(key.createdAt),
            "last_used_at": SandcastleEnvelope.timestamp(key.lastUsedAt),
        ]
    }

    static func strings(_ values: [String]?) -> JSONValue {
        values.map { .array($0.map(JSONValue.string)) } ?? .null
    }

    static func keyID(_ context: ServerRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), !id.isEmpty, id.count <= 128,
            id.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") })
        else { throw SandcastleAPIError(.badRequest, "INVALID_ID", "a key id is letters, digits, - and _") }
        return id
    }

    /// A JSON object body, or an empty one when the body is empty (Sandcastle's CLI rotates without one).
    static func optionalObject(_ request: Request) async throws -> [String: JSONValue] {
        let bytes = try await HTTP.body(request, limit: maxBodyBytes)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        guard case .object(let members)? = JSONValue.parse(json: String(decoding: bytes, as: UTF8.self)) else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "the body must be a JSON object")
        }
        return members
    }

    static func optionalStrings(_ body: [String: JSONValue], _ key: String) throws -> [String]? {
        switch body[key] {
        case nil, .null?: return nil
        case .array(let items)? where items.count <= 1000:
            return try items.map { item in
                guard case .string(let text) = item, !text.isEmpty, text.count <= 200, !text.contains("\u{0}") else {
                    throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` must be a list of non-empty strings")
                }
                return text
            }
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` must be a list of strings")
        }
    }

    static func optionalBudget(_ body: [String: JSONValue], _ key: String) throws -> Double? {
        switch body[key] {
        case nil, .null?: return nil
        case .integer(let value)? where value >= 0: return Double(value)
        case .number(let value)? where value >= 0 && value.isFinite: return value
        default: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`\(key)` must be a number ≥ 0")
        }
    }
}
