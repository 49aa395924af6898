import Foundation
import Hummingbird
import Sandbox
import ServerCore

/// Who may reach the server's sandboxes from the dashboard, and what the sandbox service's
/// errors mean on a page.
///
/// The ``SandboxService`` knows which API key made a sandbox, not which tenant: the native API
/// shows a key its own sandboxes only, and nothing ties a tenant's keys together there. So the
/// sandbox pages are an admin's view of every sandbox the server holds (the service asked with
/// no key, as for `/metrics`), and a tenant key is refused (403) rather than shown someone else's.
extension Dashboard {
    /// The sandbox service, for an admin's visit.
    ///
    /// - Throws: ``DashboardError`` `.forbidden` for a tenant key; `.notFound` on a server
    ///   built without sandboxes.
    func sandboxService(for visit: Visit) throws -> SandboxService {
        guard visit.tenant == nil else {
            throw DashboardError(
                .forbidden, "sandboxes belong to API keys, not tenants: only an admin key sees the server's sandboxes")
        }
        guard let sandboxes else { throw DashboardError(.notFound, "this server serves no sandboxes") }
        return sandboxes
    }

    /// Runs a sandbox service call for a page, its ``ServerError`` mapped to the page's status.
    func sandboxCall<T: Sendable>(_ call: () async throws -> T) async throws -> T {
        do {
            return try await call()
        } catch {
            throw Self.sandboxError(error)
        }
    }

    /// A sandbox error as a page shows it: unknown is 404, retired (deleted, expired, gone) 409,
    /// a wrong value 400, anything else a failure.
    static func sandboxError(_ error: any Error) -> DashboardError {
        if let error = error as? DashboardError { return error }
        let failure = ServerError.from(error)
        switch failure.status.code {
        case 404: return DashboardError(.notFound, failure.message)
        case 409, 410: return DashboardError(.conflict, failure.message)
        case 403: return DashboardError(.forbidden, failure.message)
        case 400..<500: return DashboardError(.invalidInput, failure.message)
        default: return DashboardError(.internalFailure, failure.message)
        }
    }

    /// The sandbox the path names (`{id}`), live, with its service.
    func liveSandbox(_ context: ServerRequestContext, _ visit: Visit) async throws -> (id: String, instance: any SandboxInstance) {
        let service = try sandboxService(for: visit)
        let id = context.parameters.get("id") ?? ""
        let instance = try await sandboxCall { try await service.instance(id: id, keyID: nil) }
        return (id, instance)
    }
}
