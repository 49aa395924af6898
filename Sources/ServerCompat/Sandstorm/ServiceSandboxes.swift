import Logging
import OneShotAgent
import Sandbox
import ServerCore

/// A `/query` session's sandbox as one of the service's own: counted against the caller's key's
/// limits, listed under its key, reconciled after a restart, with a TTL that outlives the
/// session's timeout only by ``ttlMargin`` (should this process die mid-session, the reaper
/// removes it). Deleting it goes through the service's background removals.
struct ServiceSandboxes: OneShotSandboxes {
    let service: SandboxService
    let keyID: String?
    let ttlSeconds: Int
    let logger: Logger

    static let ttlMargin = 120

    init(service: SandboxService, keyID: String?, timeoutSeconds: Int, logger: Logger) {
        self.service = service
        self.keyID = keyID
        self.ttlSeconds = min(timeoutSeconds + Self.ttlMargin, service.limits.maxTTLSeconds)
        self.logger = logger
    }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        var request = CreateSandboxRequest(image: spec.image, profile: spec.profile, ttlSeconds: ttlSeconds)
        request.labels = spec.labels
        let view = try await service.create(request, keyID: keyID)
        do {
            return try await service.instance(id: view.id, keyID: keyID)
        } catch {
            try? await service.delete(id: view.id, keyID: keyID)
            throw error
        }
    }

    func destroy(_ sandbox: any SandboxInstance) async {
        do {
            try await service.delete(id: sandbox.id, keyID: keyID)
        } catch {
            logger.warning("the agent session's sandbox \(sandbox.id) could not be deleted: \(error)")
        }
    }
}
