import Foundation
import Store
import Workflow

/// Workflows as APIs (issue 14 §8): an admin publishes a workflow's newest version, and
/// `POST /api/v1/{name}` runs the newest *published* version. A version saved later is not
/// served until it is published in its turn, so editing a workflow never changes a live API
/// by accident. Tenant rules are the catalog's: a tenant's workflow, once published, is
/// callable by that tenant's keys (and admins); a shared one by every key.
extension WorkflowCatalog {
    /// Publishes `name`'s newest version and returns it as published.
    ///
    /// - Throws: ``OrchestratorError`` `workflowNotFound` (also a workflow `tenant` may not see).
    @discardableResult
    public func publish(name: String, tenant: String? = nil, at time: Date = Date()) throws -> Entry {
        var entry = try entry(name: name, tenant: tenant)
        guard try persist({ try repository.publishWorkflowVersion(name: name, version: entry.newest.version, at: time) }) else {
            throw OrchestratorError(.workflowNotFound, "no workflow named \(name)")
        }
        entry.newest.publishedAt = time.storeRounded
        return entry
    }

    /// The version `POST /api/v1/{name}` runs for `tenant` (nil: an admin, or a public reader
    /// of the spec), parsed.
    ///
    /// - Throws: ``OrchestratorError`` `workflowNotFound`: no such workflow (or none `tenant`
    ///   may see), or one with no published version, each with its own message.
    public func published(name: String, tenant: String? = nil) throws -> (record: WorkflowVersionRecord, workflow: WorkflowDefinition) {
        try Self.validate(name: name)
        try importFolder(only: name)
        guard let newest = try persist({ try repository.workflowVersions(name: name).first }), Self.isVisible(newest, to: tenant) else {
            throw OrchestratorError(.workflowNotFound, "no workflow named \(name)")
        }
        guard let record = try persist({ try repository.publishedWorkflowVersion(name: name) }) else {
            throw OrchestratorError(
                .workflowNotFound, "workflow \(name) is not published as an API; an admin publishes it with POST /api/workflows/\(name)/publish")
        }
        return (record, try files.keep(record.yaml))
    }
}
