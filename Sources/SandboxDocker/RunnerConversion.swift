import RunnerClient
import RunnerProtocol
import Sandbox

// The Docker backend's edge: the sandbox's own types to and from the runner's wire format.
// Nothing else in Sandcastle (outside the server's compatibility layers) sees runner types.

extension RunnerConnection {
    /// Starts `command` as the runner request its program kind calls for; ``SandboxCommand/validate()`` has passed.
    func start(_ command: SandboxCommand) async throws -> RunnerProcess {
        switch command.program {
        case .shell(let line):
            try await execute(
                ShellExecRequest(
                    command: line, timeoutMilliseconds: command.timeoutMilliseconds,
                    maxOutputBytes: command.maxOutputBytes ?? 0, rawOutput: command.rawOutput))
        case .arguments(let arguments):
            try await spawn(
                SpawnRequest(
                    arguments: arguments, environment: command.environment.runnerEntries,
                    workingDirectory: command.workingDirectory ?? "", timeoutMilliseconds: command.timeoutMilliseconds,
                    maxOutputBytes: command.maxOutputBytes ?? 0, openStdin: command.openStdin,
                    allowsPrestartedBash: command.allowsPrestartedBash))
        }
    }
}

extension TerminalRequest {
    var runnerRequest: PTYOpenRequest {
        PTYOpenRequest(
            arguments: arguments, environment: environment.runnerEntries, workingDirectory: workingDirectory ?? "",
            size: WindowSize(rows: size.rows, columns: size.columns))
    }
}

extension Dictionary where Key == String, Value == String {
    /// `KEY=VALUE` entries, sorted by name so a request is the same every time.
    var runnerEntries: [String] {
        sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }
}

extension Sandbox.ProcessEvent {
    init(_ event: RunnerClient.ProcessEvent) {
        switch event {
        case .started(let pid): self = .started(pid: pid)
        case .output(.stdout, let bytes): self = .output(.stdout, bytes)
        case .output(.stderr, let bytes): self = .output(.stderr, bytes)
        case .finished(let result): self = .finished(ProcessResult(result))
        }
    }
}

extension ProcessResult {
    init(_ result: ExecResult) {
        self.init(
            exitCode: result.exitCode, signal: result.signal, workingDirectory: result.workingDirectory,
            duration: .nanoseconds(Int64(clamping: result.durationNanoseconds)), outputBytes: result.outputBytes,
            truncated: result.truncated, timedOut: result.timedOut, cancelled: result.cancelled,
            oomKilled: result.oomKilled)
    }
}

/// A runner process's controls, as the sandbox's.
struct RunnerProcessControl: ProcessControl {
    let process: RunnerProcess
    func write(_ bytes: [UInt8]) async throws { try await process.write(bytes) }
    func closeInput() async throws { try await process.closeInput() }
    func resize(_ size: TerminalSize) async throws { try await process.resize(WindowSize(rows: size.rows, columns: size.columns)) }
    func signal(_ signal: Int32) async throws { try await process.signal(signal) }
    func cancel() async throws { try await process.cancel() }
}

extension FileWrite {
    var runnerRequest: WriteFileRequest {
        WriteFileRequest(path: path, mode: mode, append: append, createParents: createParents)
    }
}

extension FileRead {
    var runnerRequest: ReadFileRequest {
        ReadFileRequest(path: path, offset: offset, length: length ?? 0)
    }
}

extension Sandbox.FileInfo {
    init(_ info: RunnerProtocol.FileInfo) {
        let kind: Sandbox.FileKind =
            switch info.kind {
            case .file: .file
            case .directory: .directory
            case .symlink: .symlink
            case .other: .other
            }
        self.init(
            name: info.name, path: info.path, kind: kind, size: info.size, mode: info.mode,
            modifiedNanoseconds: info.modifiedNanoseconds, symlinkTarget: info.symlinkTarget)
    }
}

extension Sandbox.FileDownload {
    init(_ download: RunnerClient.FileDownload) {
        self.init(info: Sandbox.FileInfo(download.info), chunks: download.chunks)
    }
}
