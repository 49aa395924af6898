import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Store

/// `/api/credentials` (admin keys only): store a named credential (`PUT {value}`), list them,
/// show one, delete one. Values are sealed in the data folder's vault and answered masked
/// (first 4 … last 4, or `****`); no answer ever holds a value in full.
extension SandcastleAPIController {
    func registerCredentials(_ routes: RouteTable) {
        let vault = orchestrator.runs.credentials
        let path = "\(Self.prefix)/credentials"
        routes.add(.get, path, native: false) { _, context in
            _ = try Self.admin(context)
            let records = try Self.vaultCall { try vault.list() }
            return SandcastleEnvelope.page(records.map(Self.credentialJSON), total: records.count, limit: records.count, offset: 0)
        }
        routes.add(.get, "\(path)/:name", native: false) { _, context in
            _ = try Self.admin(context)
            let name = try Self.credentialName(context)
            guard let record = try Self.vaultCall({ try vault.record(name) }) else {
                throw SandcastleAPIError(.notFound, "NOT_FOUND", "no credential `\(name)`")
            }
            return SandcastleEnvelope.ok(Self.credentialJSON(record))
        }
        routes.add(.put, "\(path)/:name", native: false) { request, context in
            _ = try Self.admin(context)
            let name = try Self.credentialName(context)
            let body = try await Self.object(request)
            guard case .string(let value)? = body["value"], !value.isEmpty else {
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR", "`value` (the secret, a non-empty string) is required", field: "value")
            }
            if let unknown = body.keys.sorted().first(where: { $0 != "value" }) {
                throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "unknown field `\(unknown)`; the body is {\"value\": …}")
            }
            let record = try Self.vaultCall { try vault.set(name, value: value) }
            return SandcastleEnvelope.ok(Self.credentialJSON(record))
        }
        routes.add(.delete, "\(path)/:name", native: false) { _, context in
            _ = try Self.admin(context)
            let name = try Self.credentialName(context)
            guard try Self.vaultCall({ try vault.delete(name) }) else {
                throw SandcastleAPIError(.notFound, "NOT_FOUND", "no credential `\(name)`")
            }
            return SandcastleEnvelope.ok(["deleted": true, "name": .string(name)])
        }
    }

    /// A credential as the API shows it: masked, never the value.
    static func credentialJSON(_ record: CredentialRecord) -> JSONValue {
        [
            "name": .string(record.name), "masked_value": record.masked.map(JSONValue.string) ?? .null,
            "key_id": .string(record.keyID), "created_at": SandcastleEnvelope.timestamp(record.createdAt),
            "updated_at": SandcastleEnvelope.timestamp(record.updatedAt), "last_used_at": SandcastleEnvelope.timestamp(record.lastUsedAt),
        ]
    }

    /// The path's credential name, percent-decoded (`github%3Adefault`) and checked.
    static func credentialName(_ context: ServerRequestContext) throws -> String {
        let raw = context.parameters.get("name") ?? ""
        let name = raw.removingPercentEncoding ?? raw
        if let problem = CredentialName.problem(name) {
            throw SandcastleAPIError(.unprocessableContent, "INVALID_NAME", problem, field: "name")
        }
        return name
    }

    /// The vault's refusals as the API's errors (a value too large or empty is the caller's
    /// mistake; a wrong key is the server's, named without any value).
    static func vaultCall<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CredentialError {
            switch error.code {
            case .invalidName: throw SandcastleAPIError(.unprocessableContent, "INVALID_NAME", error.message)
            case .emptyValue, .tooLarge: throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", error.message, field: "value")
            case .notFound: throw SandcastleAPIError(.notFound, "NOT_FOUND", error.message)
            default: throw SandcastleAPIError(.internalServerError, "CREDENTIAL_ERROR", error.message)
            }
        }
    }
}
