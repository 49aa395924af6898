import EngineService
import Foundation

extension Orchestrator {
    /// Run `id`'s transparency report (issue 15 §6).
    ///
    /// - Throws: ``OrchestratorError`` `runNotFound`.
    public func transparencyReport(runID id: String, now: Date = Date()) throws -> TransparencyReport {
        do {
            return try runs.transparencyReport(id: id, now: now)
        } catch let error as EngineServiceError where error.code == .notFound {
            throw OrchestratorError(.runNotFound, "run \(id) not found")
        } catch let error as OrchestratorError {
            throw error
        } catch {
            throw OrchestratorError(.internalFailure, "the transparency report of run \(id) cannot be made: \(error)")
        }
    }
}
