import EngineService
import Foundation
import Logging

/// Workflow runs a killed `sandcastle run` (or an earlier server) left unfinished, continued
/// from their checkpoints when the server starts; a gate pauses them again, as with
/// `sandcastle runs resume --all`. The sandboxes those processes left go first.
public enum OrphanedRuns {
    /// Resumes every unfinished run of the data folder whose process is gone, one after another,
    /// logging each, under the engine settings of `configFile` (the server's `--config`) and the
    /// environment. A data folder without a state database has none.
    public static func resume(dataDirectory: String, configFile: String? = nil, logger: Logger) async {
        let settings: EngineSettings
        do {
            settings = try EngineSettings.load(dataDirectory: dataDirectory, configFile: configFile)
        } catch {
            logger.error("cannot resume the unfinished workflow runs: \(error)")
            return
        }
        guard FileManager.default.fileExists(atPath: settings.databasePath) else { return }
        do {
            let service = try await RunService.open(settings, sandboxes: .required)
            // First what killed processes left: a run that cannot be resumed (its file changed)
            // must not keep its sandboxes running either.
            let sweep = try await service.removeOrphanedSandboxes()
            for (runID, count) in sweep.byRun.sorted(by: { $0.key < $1.key }) {
                logger.info("removed \(count) sandbox(es) left by workflow run \(runID), whose process is gone", metadata: ["run": .string(runID)])
            }
            for problem in sweep.problems { logger.warning("\(problem)") }
            let runs = try service.orphanedRuns()
            guard !runs.isEmpty else { return }
            logger.info("resuming \(runs.count) unfinished workflow run(s)")
            let summary = try await service.resumeOrphanedRuns { logger.info("\($0)") }
            for (id, outcome) in summary {
                logger.info("workflow run \(id) \(outcome)", metadata: ["run": .string(id)])
            }
        } catch {
            logger.error("cannot resume the unfinished workflow runs in \(settings.databasePath): \(error)")
        }
    }
}
