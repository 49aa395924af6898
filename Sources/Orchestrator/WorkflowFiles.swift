import Foundation
import Store
import Workflow

/// Workflow texts the server runs, kept as files named by their content's SHA-256 under the
/// data folder. A run records such a file as its workflow, so resuming it after a restart,
/// replaying or forking it reads exactly the text it started with, whatever happened since to
/// the workflows folder or the saved versions.
struct WorkflowFiles: Sendable {
    let directory: String
    /// The server's validation rules (its `COMPLIANCE_MODE`).
    let options: ValidationOptions

    init(dataDirectory: String, options: ValidationOptions = ValidationOptions()) {
        directory = (dataDirectory as NSString).appendingPathComponent("workflow-files")
        self.options = options
    }

    /// Validates `yaml` and keeps it; the workflow's `file` is the kept file.
    ///
    /// - Parameter label: what diagnostics call the text (`hello.yaml`, `workflow`), rather
    ///   than the kept file's path, which means nothing to a client.
    ///   - enforcingCompliance: false for a listing, which shows saved workflows whatever the
    ///     compliance mode says of them now; everything that runs or publishes one checks it.
    /// - Throws: ``OrchestratorError`` `complianceRefused` when the risk rules refuse the workflow
    ///   (its `risk_level` under `COMPLIANCE_MODE`), else `invalidWorkflow`, with every
    ///   diagnostic; `internalFailure` when the file cannot be written.
    func keep(_ yaml: String, label: String = "workflow", enforcingCompliance: Bool = true) throws -> WorkflowDefinition {
        let path = (directory as NSString).appendingPathComponent(SQLiteRunRepository.contentHash(yaml) + ".yaml")
        var options = options
        if !enforcingCompliance { options.complianceMode = nil }
        let loaded = WorkflowLoader(options: options).load(text: yaml, file: path)
        let refusals = loaded.errors.filter { $0.code == .compliance }
        if !enforcingCompliance, let workflow = loaded.workflow, loaded.errors.count == refusals.count {
            return workflow
        }
        guard let workflow = loaded.workflow, loaded.isValid else {
            let errors = loaded.errors.map { $0.description.replacingOccurrences(of: path, with: label) }
            if let refusal = refusals.first {
                throw OrchestratorError(.complianceRefused, refusal.message, details: errors)
            }
            throw OrchestratorError(
                .invalidWorkflow, "the workflow has \(errors.count) error\(errors.count == 1 ? "" : "s")", details: errors)
        }
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try DataFolder.makeDirectory(directory)
                // Written whole under a temporary name, then renamed: a crash never leaves half a file.
                try DataFolder.write(Data(yaml.utf8), to: path)
            } catch {
                throw OrchestratorError(.internalFailure, "cannot keep the workflow under \(directory): \(error)")
            }
        }
        return workflow
    }
}
