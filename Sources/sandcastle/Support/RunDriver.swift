import ArgumentParser
import Engine
import Foundation
import Sandbox
import SandboxDocker
import Store
import Synchronization
import Workflow

/// Drives one engine run from the terminal, for `run` and `runs resume` alike: events as
/// lines, Ctrl-C as cancellation, and the exit status from the outcome.
enum RunDriver {
    /// - Parameter shared: the router and global sandbox limit of engines made for one process
    ///   (`runs resume --all`, `serve`), so breakers and limits hold across its runs; nil makes new ones.
    static func makeEngine(backend: DockerSandboxBackend, repository: any RunRepository,
                           environment: [String: String], dataDirectory: String, steps: [String],
                           waitForApprovals: Bool = true, maxParallel: Int? = nil,
                           liveView: Bool = true, shared: SharedRouting? = nil) throws -> WorkflowEngine {
        let log = LineLog(dataDirectory: dataDirectory)
        let view = liveView && ProgressView.isUsable ? ProgressView(steps: steps, dataDirectory: dataDirectory) : nil
        progress.withLock { $0 = view }
        let routing = try shared ?? SharedRouting(docker: backend, environment: environment)
        var configuration = EngineConfiguration(maxConcurrentStepsPerRun: maxParallel ?? defaultMaxParallel,
                                                environment: environment,
                                                removesWorkspace: true,
                                                waitForApprovals: waitForApprovals, dataDirectory: dataDirectory)
        configuration.owner = ProcessOwner.current()
        configuration.sandboxesAhead = try sandboxesAhead(environment)
        let snapshotLimit = try workspaceSnapshotLimit(environment)
        if snapshotLimit > 0 {
            configuration.workspaceSnapshots = WorkspaceSnapshots(workspaces: DockerWorkspaces(backend: backend),
                                                                  files: RunFiles(dataDirectory: dataDirectory), maxBytes: snapshotLimit)
        }
        return WorkflowEngine(
            router: routing.router, repository: repository,
            configuration: configuration,
            globalLimit: routing.globalLimit,
            onEvent: { event in
                if let view { view.handle(event) } else { log.print(event) }
            })
    }

    /// What the engines of one process share: the backends with their breakers and limits, and
    /// the cap on sandboxes at once.
    struct SharedRouting: Sendable {
        let router: BackendRouter
        let globalLimit: AsyncSemaphore

        init(docker: DockerSandboxBackend, environment: [String: String]) throws {
            router = try BackendSetup.router(docker: docker, environment: environment)
            globalLimit = AsyncSemaphore(limit: try RunDriver.globalLimit(environment))
        }
    }

    /// The live view of the engine made last, if stdout is a terminal; `drive` ticks and stops it.
    private static let progress = Mutex<ProgressView?>(nil)

    /// Sandboxes of each kind a run makes ahead on Docker (``EngineConfiguration/sandboxesAhead``).
    static let defaultSandboxesAhead = 1

    /// `SANDCASTLE_SANDBOXES_AHEAD` (0 turns it off), else ``defaultSandboxesAhead``.
    static func sandboxesAhead(_ environment: [String: String]) throws -> Int {
        guard let text = environment["SANDCASTLE_SANDBOXES_AHEAD"] else { return defaultSandboxesAhead }
        guard let value = Int(text), (0...16).contains(value) else {
            Console.error("sandcastle: SANDCASTLE_SANDBOXES_AHEAD must be a whole number from 0 to 16, not '\(text)'")
            throw ExitCode(1)
        }
        return value
    }

    /// Steps (fan-out items count one each) a run runs at once unless `--max-parallel` says otherwise.
    static let defaultMaxParallel = 4

    /// The most sandboxes this process runs at once, across its runs: `SANDCASTLE_MAX_SANDBOXES`, else 8.
    static func globalLimit(_ environment: [String: String]) throws -> Int {
        guard let text = environment["SANDCASTLE_MAX_SANDBOXES"] else { return 8 }
        guard let value = Int(text), value >= 1 else {
            Console.error("sandcastle: SANDCASTLE_MAX_SANDBOXES must be a whole number ≥ 1, not '\(text)'")
            throw ExitCode(1)
        }
        return value
    }

    /// `SANDCASTLE_WORKSPACE_SNAPSHOT_MAX`: the largest workspace (bytes) kept when a run ends for
    /// its replays and forks; 0 keeps none. Default 256 MiB.
    static func workspaceSnapshotLimit(_ environment: [String: String]) throws -> Int64 {
        guard let text = environment["SANDCASTLE_WORKSPACE_SNAPSHOT_MAX"] else { return WorkspaceSnapshots.defaultMaxBytes }
        guard let value = Int64(text), value >= 0 else {
            Console.error("sandcastle: SANDCASTLE_WORKSPACE_SNAPSHOT_MAX must be a number of bytes ≥ 0 (0 keeps no snapshot), not '\(text)'")
            throw ExitCode(1)
        }
        return value
    }

    /// The exit status of a run that paused at an approval gate (`--no-wait`): not a success,
    /// not a failure either.
    static let pausedExitCode: Int32 = 3

    /// Runs `body`, cancelling it on SIGINT/SIGTERM/SIGHUP (the engine then destroys the run's
    /// sandboxes and records `cancelled`), and ends the command with the run's status:
    /// 0 completed, 130 cancelled, 3 paused at an approval gate, 1 otherwise.
    static func drive(runID: String, dataDirectory: String,
                      _ body: @escaping @Sendable () async throws -> RunOutcome) async throws {
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
                Console.print("  artifacts (\(artifacts.count)) in \(files.artifactsDirectory(runID)): "
                              + artifacts.prefix(5).map(\.path).joined(separator: ", ") + (artifacts.count > 5 ? ", …" : ""))
            }
        case .cancelled:
            Console.error("run \(runID) cancelled")
            throw ExitCode(130)
        case .waitingApproval:
            let hint = LineLog.dataDirectoryFlag(dataDirectory)
            Console.print("run \(runID) is paused, waiting for approval; after `sandcastle runs approve\(hint) \(runID)` "
                          + "continue it with `sandcastle runs resume\(hint) \(runID)`")
            throw ExitCode(pausedExitCode)
        default:
            Console.error("run \(runID) \(outcome.status): \(outcome.error ?? "unknown error")")
            throw ExitCode(1)
        }
    }
}

extension RunDriver {
    /// Resumes `runs` one after another (approval gates as `--no-wait`: a gate pauses the run
    /// again), for `runs resume --all` and for `serve` at start-up.
    ///
    /// - Returns: each run's id with how it ended, or why it could not be resumed.
    static func resume(_ runs: [RunRecord], backend: DockerSandboxBackend, repository: any RunRepository,
                       dataDirectory: String, say: (String) -> Void) async throws -> [(String, String)] {
        var summary: [(String, String)] = []
        let environment = ProcessInfo.processInfo.environment
        // One router for all: a backend whose breaker opened on one run is not hammered by the next.
        let shared = try SharedRouting(docker: backend, environment: environment)
        for run in runs {
            let outcome: String
            do {
                guard let path = run.workflowPath, let workflow = WorkflowLoader().load(path: path).workflow else {
                    throw EngineError(.notResumable, "cannot load its workflow file \(run.workflowPath ?? "(none recorded)")")
                }
                // The dead process's sandboxes would hold slots and could still write to the workspace.
                _ = await RunSandboxes.remove(runID: run.id, router: shared.router, includingWorkspace: false)
                let engine = try makeEngine(backend: backend, repository: repository, environment: environment,
                                            dataDirectory: dataDirectory, steps: workflow.steps.map(\.id),
                                            waitForApprovals: false, liveView: false, shared: shared)
                say("resuming run \(run.id): workflow `\(workflow.name)` from \(path)")
                let result = try await engine.resume(runID: run.id, workflow: workflow)
                outcome = result.status.rawValue + (result.error.map { ": \($0)" } ?? "")
            } catch let error as EngineError {
                outcome = "not resumed: \(error.message)"
            }
            summary.append((run.id, outcome))
        }
        return summary
    }
}

extension RunDriver {
    /// The Docker backend, or exit status 1 with the engine's error on stderr.
    static func dockerBackend() async throws -> DockerSandboxBackend {
        do {
            return try await DockerSandboxBackend.fromEnvironment()
        } catch {
            Console.error("sandcastle: \(error)")
            throw ExitCode(1)
        }
    }

    /// The workflow file a run recorded, loaded and valid, with its path; or exit status 1 with
    /// the file's diagnostics.
    static func recordedWorkflow(of run: RunRecord) throws -> (WorkflowDefinition, String) {
        guard let path = run.workflowPath else {
            Console.error("sandcastle: run \(run.id) has no recorded workflow file")
            throw ExitCode(1)
        }
        let loaded = WorkflowLoader().load(path: path)
        guard let workflow = loaded.workflow, loaded.isValid else {
            DiagnosticPrinter().print(loaded.diagnostics)
            Console.error("sandcastle: cannot load \(path), the workflow of run \(run.id)")
            throw ExitCode(1)
        }
        return (workflow, path)
    }
}
