import ArgumentParser
import Engine
import EngineService
import Foundation
import Synchronization
import Workflow

/// Drives one engine run from the terminal, for `run` and `runs resume` alike: events as
/// lines, Ctrl-C as cancellation, and the exit status from the outcome.
enum RunDriver {
    /// The engine service for the data folder, or exit status 1 with the reason on stderr (a bad
    /// setting is named with its value before anything runs).
    static func openService(
        dataDirectory: String?, sandboxes: RunService.Sandboxes,
        creatingStore: Bool = false, modelsFile: String? = nil
    ) async throws -> RunService {
        do {
            var settings = try EngineSettings.load(dataDirectory: dataDirectory)
            settings.modelsFile = modelsFile
            return try await RunService.open(settings, sandboxes: sandboxes, creatingStore: creatingStore)
        } catch let error as EngineServiceError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// What validation assumes under this process's settings (`COMPLIANCE_MODE`); a bad setting
    /// ends the command with status 1 naming it and its value, before anything is read or run.
    static func validationOptions(dataDirectory: String? = nil) throws -> ValidationOptions {
        do {
            return try EngineSettings.load(dataDirectory: dataDirectory).validationOptions
        } catch let error as EngineServiceError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// Ends the command with status 1 and the reason on stderr when `service` could not reach
    /// its sandbox backends (opened with `.optional`, so that checks before this needed none).
    static func requireSandboxes(_ service: RunService) throws {
        guard service.router == nil else { return }
        Console.error("sandcastle: \(service.sandboxProblem ?? "the sandbox backends are not connected")")
        throw ExitCode(1)
    }

    /// Removes what runs of this data folder left behind when their process was killed, and says
    /// so: a line per run whose sandboxes went, with how to continue it. A failure is a warning;
    /// the command goes on.
    static func removeOrphanedSandboxes(_ service: RunService) async {
        do {
            let sweep = try await service.removeOrphanedSandboxes()
            for (runID, count) in sweep.byRun.sorted(by: { $0.key < $1.key }) {
                Console.print(
                    "removed \(count) sandbox\(count == 1 ? "" : "es") left by run \(runID), whose process is gone "
                        + "(`sandcastle runs resume \(runID)` continues it, `sandcastle runs cancel \(runID)` ends it)")
            }
            for problem in sweep.problems { Console.error("sandcastle: warning: \(problem)") }
        } catch {
            Console.error("sandcastle: warning: \(error)")
        }
    }

    /// Runs `body`, ending the command with status 1 and the message on stderr when the
    /// service refuses (unknown run, a live owner, a changed workflow file, …).
    static func orExit<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EngineServiceError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        } catch let error as EngineError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// ``orExit(_:)`` for asynchronous work.
    static func orExit<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EngineServiceError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        } catch let error as EngineError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// Where a run's events go: the live view when stdout is a terminal (and `liveView`), else
    /// plain lines. `drive` ticks and stops the view.
    static func observer(steps: [String], dataDirectory: String, liveView: Bool = true) -> @Sendable (EngineEvent) -> Void {
        let log = LineLog(dataDirectory: dataDirectory)
        let view = liveView && ProgressView.isUsable ? ProgressView(steps: steps, dataDirectory: dataDirectory) : nil
        progress.withLock { $0 = view }
        return { event in
            if let view { view.handle(event) } else { log.print(event) }
        }
    }

    /// The live view of the observer made last, if stdout is a terminal; `drive` ticks and stops it.
    private static let progress = Mutex<ProgressView?>(nil)

    /// The exit status of a run that paused at an approval gate (`--no-wait`): not a success,
    /// not a failure either.
    static let pausedExitCode: Int32 = 3

    /// Runs `body`, cancelling it on SIGINT/SIGTERM/SIGHUP (the engine then destroys the run's
    /// sandboxes and records `cancelled`), and ends the command with the run's status:
    /// 0 completed, 130 cancelled, 3 paused at an approval gate, 1 otherwise.
    static func drive(
        runID: String, dataDirectory: String,
        _ body: @escaping @Sendable () async throws -> RunOutcome
    ) async throws {
        let signals = SignalStream.make([SIGINT, SIGTERM, SIGHUP])
        let view = progress.withLock { $0 }
        let ticker = view?.start()
        let work = Task { try await body() }
        let watcher = Task {
            for await signo in signals {
                Console.error("\nsandcastle: signal \(signo), cancelling run \(runID)…")
                work.cancel()
            }
        }
        defer { watcher.cancel() }
        let outcome: RunOutcome
        do {
            outcome = try await work.value
            ticker?.cancel()
            view?.stop()
        } catch let error as EngineError {
            ticker?.cancel()
            view?.stop()
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        } catch let error as EngineServiceError {
            ticker?.cancel()
            view?.stop()
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        } catch {
            ticker?.cancel()
            view?.stop()
            Console.error("sandcastle: \(error)")
            throw ExitCode(1)
        }
        switch outcome.status {
        case .completed:
            Console.print("run \(runID) completed")
            for (name, value) in outcome.outputs.sorted(by: { $0.key < $1.key }) {
                Console.print("  output \(name) = \(value.jsonText)")
            }
            let files = RunFiles(dataDirectory: dataDirectory)
            let artifacts = files.artifacts(runID)
            if !artifacts.isEmpty {
                Console.print(
                    "  artifacts (\(artifacts.count)) in \(files.artifactsDirectory(runID)): "
                        + artifacts.prefix(5).map(\.path).joined(separator: ", ") + (artifacts.count > 5 ? ", …" : ""))
            }
        case .cancelled:
            Console.error("run \(runID) cancelled")
            throw ExitCode(130)
        case .waitingApproval:
            let hint = LineLog.dataDirectoryFlag(dataDirectory)
            Console.print(
                "run \(runID) is paused, waiting for approval; after `sandcastle runs approve\(hint) \(runID)` "
                    + "continue it with `sandcastle runs resume\(hint) \(runID)`")
            throw ExitCode(pausedExitCode)
        default:
            Console.error("run \(runID) \(outcome.status): \(outcome.error ?? "unknown error")")
            throw ExitCode(1)
        }
    }
}
