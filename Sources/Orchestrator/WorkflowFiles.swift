import Foundation
import Store
import Workflow

/// Workflow texts the server runs, kept as files named by their content's SHA-256 under the
/// data folder. A run records such a file as its workflow, so resuming it after a restart,
/// replaying or forking it reads exactly the text it started with, whatever happened since to
/// the workflows folder or the saved versions.
struct WorkflowFiles: Sendable {
    let directory: String

    init(dataDirectory: String) {
        directory = (dataDirectory as NSString).appendingPathComponent("workflow-files")
    }

    /// Validates `yaml` and keeps it; the workflow's `file` is the kept file.
    ///
    /// - Parameter label: what diagnostics call the text (`hello.yaml`, `workflow`), rather
    ///   than the kept file's path, which means nothing to a client.
    /// - Throws: ``OrchestratorError`` `invalidWorkflow` with every diagnostic, or
    ///   `internalFailure` when the file cannot be written.
    func keep(_ yaml: String, label: String = "workflow") throws -> WorkflowDefinition {
        let path = (directory as NSString).appendingPathComponent(SQLiteRunRepository.contentHash(yaml) + ".yaml")
        let loaded = WorkflowLoader().load(text: yaml, file: path)
        guard let workflow = loaded.workflow, loaded.isValid else {
            let errors = loaded.errors.map { $0.description.replacingOccurrences(of: path, with: label) }
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
