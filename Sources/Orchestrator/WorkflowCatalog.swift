import Foundation
import Store
import Workflow

/// The workflows a server runs by name: those saved through the API and the files of its
/// workflows folder, each save a new version (1, 2, 3, …) kept for good, so a run can always
/// say which version it ran.
///
/// A file of the folder is `<name>.yaml` (or `.yml`); when its text differs from the newest
/// version of that name, it becomes the next version (``importFolder()``, at start and before
/// a run or listing by name). Saving through the API writes the folder's file too, as
/// Sandcastle does, so the folder and the catalog agree.
///
/// Tenants (issue 14 §7): a workflow saved with a tenant key is that tenant's (and stays out of
/// the shared folder); the folder's and an admin's are shared. Every method's `tenant` is the
/// caller's: nil is an admin, who sees every workflow; a tenant sees the shared ones and its own,
/// and a workflow it may not see answers as one that does not exist.
public struct WorkflowCatalog: Sendable {
    let repository: SQLiteRunRepository
    /// Nil: no folder (only the API saves workflows).
    public let folder: String?
    let files: WorkflowFiles

    /// Names are Sandcastle's: letters, digits, `_` and `-`, at most 200 characters.
    public static let maxNameLength = 200
    /// Sandcastle's limit on a saved workflow's text.
    public static let maxYAMLBytes = 500_000

    /// - Parameter options: the server's validation rules (its `COMPLIANCE_MODE`), applied to
    ///   every workflow saved, published or run.
    public init(repository: SQLiteRunRepository, folder: String?, dataDirectory: String, options: ValidationOptions = ValidationOptions()) {
        self.repository = repository
        self.folder = folder
        self.files = WorkflowFiles(dataDirectory: dataDirectory, options: options)
    }

    /// One workflow as the catalog lists it: its newest version and how many there are.
    public struct Entry: Sendable {
        public var newest: WorkflowVersionRecord
        public var versions: Int
        /// The newest version, parsed (its text is valid: it was checked when saved).
        public var workflow: WorkflowDefinition
    }

    /// Checks a workflow name.
    public static func validate(name: String) throws {
        guard !name.isEmpty, name.count <= maxNameLength,
            name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
        else {
            throw OrchestratorError(
                .invalidName, "a workflow name is 1 to \(maxNameLength) letters, digits, _ or -; got \(String(reflecting: String(name.prefix(80))))")
        }
    }

    /// Saves `yaml` as the next version of `name` after checking it, and (for a shared workflow)
    /// writes it to the folder's `<name>.yaml`. A tenant may save only a name that is free or its
    /// own; an admin saving a tenant's workflow keeps it that tenant's.
    ///
    /// - Throws: ``OrchestratorError`` `invalidName`, `invalidWorkflow` (with its diagnostics),
    ///   `forbidden` (a tenant and a name that is not its own).
    @discardableResult
    public func save(name: String, yaml: String, description: String? = nil, tenant: String? = nil) throws -> Entry {
        try Self.validate(name: name)
        guard yaml.utf8.count <= Self.maxYAMLBytes else {
            throw OrchestratorError(.invalidWorkflow, "the workflow is \(yaml.utf8.count) bytes; at most \(Self.maxYAMLBytes) are accepted")
        }
        let workflow = try files.keep(yaml, label: "\(name).yaml")
        try importFolder(only: name)
        let existing = try persist { try repository.workflowVersions(name: name).first }
        if let tenant, let existing, existing.tenant != tenant {
            throw OrchestratorError(.forbidden, "the workflow name \(name) is not available to this key; choose another")
        }
        let owner = tenant ?? existing?.tenant
        let record = try persist {
            try repository.saveWorkflowVersion(name: name, yaml: yaml, description: description, source: .api, tenant: owner)
        }
        if let folder, owner == nil {
            // Best effort: the catalog is the record; the folder's copy is for people and editors.
            try? DataFolder.makeDirectory(folder)
            try? Data(yaml.utf8).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("\(name).yaml")), options: .atomic)
        }
        return Entry(newest: record, versions: try persist { try repository.workflowVersions(name: name).count }, workflow: workflow)
    }

    /// Every workflow `tenant` may see, by name (the folder imported first).
    public func list(tenant: String? = nil) throws -> [Entry] {
        try importFolder()
        return try persist { try repository.latestWorkflowVersions() }.compactMap { record in
            guard Self.isVisible(record, to: tenant) else { return nil }
            guard let workflow = try? files.keep(record.yaml, enforcingCompliance: false) else { return nil }
            return Entry(newest: record, versions: try persist { try repository.workflowVersions(name: record.name).count }, workflow: workflow)
        }
    }

    /// `name`'s newest version as the catalog lists it.
    ///
    /// - Throws: ``OrchestratorError`` `workflowNotFound`.
    public func entry(name: String, tenant: String? = nil) throws -> Entry {
        let resolved = try resolve(name: name, tenant: tenant)
        let versions = try persist { try repository.workflowVersions(name: name).count }
        return Entry(newest: resolved.record, versions: versions, workflow: resolved.workflow)
    }

    /// `name` at `version` (nil: the newest), parsed and kept as a file runs can name.
    ///
    /// - Throws: ``OrchestratorError`` `workflowNotFound`, `invalidWorkflow` (a folder file
    ///   that no longer validates).
    public func resolve(name: String, version: Int? = nil, tenant: String? = nil) throws -> (
        record: WorkflowVersionRecord, workflow: WorkflowDefinition
    ) {
        try Self.validate(name: name)
        try importFolder(only: name)
        let record: WorkflowVersionRecord?
        if let version {
            record = try persist { try repository.workflowVersion(name: name, version: version) }
        } else {
            record = try persist { try repository.workflowVersions(name: name).first }
        }
        guard let record, Self.isVisible(record, to: tenant) else {
            throw OrchestratorError(
                .workflowNotFound, version.map { "workflow \(name) has no version \($0)" } ?? "no workflow named \(name)")
        }
        return (record, try files.keep(record.yaml))
    }

    /// A workflow sent inline, checked and kept.
    public func inline(_ yaml: String) throws -> WorkflowDefinition {
        guard yaml.utf8.count <= Self.maxYAMLBytes else {
            throw OrchestratorError(.invalidWorkflow, "the workflow is \(yaml.utf8.count) bytes; at most \(Self.maxYAMLBytes) are accepted")
        }
        return try files.keep(yaml)
    }

    /// Removes `name` from the catalog (its versions stay readable for the runs that ran them)
    /// and its file from the folder. A tenant may delete only its own workflows.
    ///
    /// - Returns: false when there was no such workflow (or none `tenant` may see).
    /// - Throws: ``OrchestratorError`` `forbidden` (a tenant and a shared workflow).
    public func delete(name: String, tenant: String? = nil) throws -> Bool {
        try Self.validate(name: name)
        try importFolder(only: name)
        if let tenant, let newest = try persist({ try repository.workflowVersions(name: name).first }) {
            guard Self.isVisible(newest, to: tenant) else { return false }
            guard newest.tenant == tenant else {
                throw OrchestratorError(.forbidden, "workflow \(name) is shared; only an admin key may delete it")
            }
        }
        let removed = try persist { try repository.deleteWorkflow(name: name) }
        if let folder {
            for suffix in ["yaml", "yml"] {
                try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent("\(name).\(suffix)"))
            }
        }
        return removed > 0
    }

    /// Saves each folder file whose text differs from its name's newest version as the next
    /// version. A file that does not validate is left out until it does; asked for by `name`,
    /// its problems are thrown (``OrchestratorError`` `invalidWorkflow`).
    public func importFolder(only name: String? = nil) throws {
        guard let folder, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for file in names.sorted() {
            let ext = (file as NSString).pathExtension
            guard ext == "yaml" || ext == "yml" else { continue }
            let stem = (file as NSString).deletingPathExtension
            guard name == nil || stem == name, (try? Self.validate(name: stem)) != nil else { continue }
            let path = (folder as NSString).appendingPathComponent(file)
            guard let yaml = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            do {
                _ = try files.keep(yaml, label: file)
            } catch {
                // Asked for by name, the file's problems are the answer; in a listing it is left out.
                if name != nil { throw error }
                continue
            }
            let newest = try persist { try repository.workflowVersions(name: stem).first }
            if newest?.contentHash != SQLiteRunRepository.contentHash(yaml) {
                _ = try persist { try repository.saveWorkflowVersion(name: stem, yaml: yaml, source: .file) }
            }
        }
    }

    /// Shared workflows are everyone's; a tenant's only its own (and an admin's, `tenant` nil).
    static func isVisible(_ record: WorkflowVersionRecord, to tenant: String?) -> Bool {
        tenant == nil || record.tenant == nil || record.tenant == tenant
    }

    func persist<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as OrchestratorError {
            throw error
        } catch {
            throw OrchestratorError(.internalFailure, "the workflow catalog could not be read or written: \(error)")
        }
    }
}
