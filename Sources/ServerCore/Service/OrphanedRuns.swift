import EngineService
import Foundation
import Logging

/// Workflow runs a killed `sandcastle run` (or an earlier server) left unfinished, continued
/// from their checkpoints when the server starts; a gate pauses them again, as with
/// `sandcastle runs resume --all`.
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
            let checked = try await RunService.open(settings, sandboxes: .none)
            let runs = try checked.orphanedRuns()
            guard !runs.isEmpty else { return }
            logger.info("resuming \(runs.count) unfinished workflow run(s)")
            let service = try await RunService.open(settings, sandboxes: .required)
            let summary = try await service.resumeOrphanedRuns { logger.info("\($0)") }
            for (id, outcome) in summary {
                logger.info("workflow run \(id) \(outcome)", metadata: ["run": .string(id)])
            }
        } catch {
            logger.error("cannot resume the unfinished workflow runs in \(settings.databasePath): \(error)")
        }
    }
}
