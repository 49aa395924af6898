import Synchronization

/// A sandbox from the warm pool, given the environment of the spec it was handed out for.
///
/// A cold sandbox gets `SandboxSpec.environment` on its container, so the runner and all it
/// starts inherit it. A pooled container was made before the spec existed, so the variables
/// are applied here instead:
/// - an argv and a terminal carry them in the request's own `environment` (the request's
///   entries still win over the spec's);
/// - the persistent shell has no per-command environment, so the
///   variables are exported once, by an exec whose output is discarded, before the first
///   command. The shell keeps no history (`+o history`) and only the bytes between an exec's
///   markers are its output, so that exec leaves nothing a later command can see, except
///   that the runner's exec sequence number has advanced by one. When the runner replaces a
///   shell that exited (`exit`, or killed after a timeout; reported as `shellExited`), the
///   variables are exported again before the next command.
///
/// Known limit: a shell that dies between commands without any exec seeing it (a background
/// job killing it) is replaced without the variables until a command fails with `shellExited`.
public final class PooledSandbox: SandboxInstance {
    /// The sandbox as the backend made it.
    public let base: any SandboxInstance
    /// The spec's environment applied to every process.
    public let environment: [String: String]
    private let exports: String
    /// True while the current shell lacks the exports.
    private let shellNeedsExports: Mutex<Bool>

    /// Names the runner keeps out of its shell's environment (`ShellSession.shellEnvironment`
    /// in the runner): a cold sandbox's shell never sees them, and exporting `PROMPT_COMMAND` or
    /// `PS1` would break the runner's marker protocol.
    static let namesKeptFromShell: Set<String> = [
        "TERM", "PROMPT_COMMAND", "BASH_ENV", "ENV", "PS0", "PS1", "PS2", "PS4", "HISTFILE", "COLUMNS", "LINES",
    ]

    public init(base: any SandboxInstance, environment: [String: String]) {
        self.base = base
        self.environment = environment
        let sorted = environment.sorted { $0.key < $1.key }
        exports =
            sorted
            .filter { !Self.namesKeptFromShell.contains($0.key) && !$0.key.hasPrefix("BASH_FUNC_") }
            .map { "export \($0.key)=\(Self.shellQuoted($0.value))\n" }
            .joined()
        shellNeedsExports = Mutex(!exports.isEmpty)
    }

    public var id: String { base.id }

    /// The first variable name in `environment` a shell cannot export (so a sandbox made
    /// without it cannot be given it afterwards), or nil when there is none.
    public static func unexportableName(in environment: [String: String]) -> String? {
        environment.keys.sorted().first { !isShellName($0) }
    }

    static func isShellName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// Single quotes keep every byte literal; a quote itself is closed, escaped and reopened.
    /// Done on bytes, since a quote followed by a combining mark is one `Character`.
    static func shellQuoted(_ value: String) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "'")]
        for byte in value.utf8 {
            if byte == UInt8(ascii: "'") { bytes += Array("'\\''".utf8) } else { bytes.append(byte) }
        }
        bytes.append(UInt8(ascii: "'"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Exports the variables into the current shell unless it already has them. Also the
    /// pool's proof at hand-out that the sandbox still answers.
    func prepareShell() async throws {
        guard shellNeedsExports.withLock({ $0 }) else { return }
        let output = try await base.run(.shell(exports, timeout: .seconds(10))).collect()
        guard !output.result.timedOut, !output.result.cancelled else {
            throw SandboxError(.runnerFailed, "sandbox \(id): exporting the environment into its shell did not finish")
        }
        // A non-zero status is left alone: it means a name bash manages itself (e.g. `UID`,
        // readonly), which a cold sandbox's shell would not take from its environment either.
        shellNeedsExports.withLock { $0 = false }
    }

    // MARK: processes

    public func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        guard case .shell = command.program else {
            var command = command
            command.environment = environment.merging(command.environment) { _, own in own }
            return try await base.run(command)
        }
        try command.validate()
        try await prepareShell()
        let process = try await base.run(command)
        guard !exports.isEmpty else { return process }
        return process.translatingErrors { [self] translated in
            // The runner starts a fresh shell from its own environment, without our exports.
            if (translated as? SandboxError)?.code == .shellExited { shellNeedsExports.withLock { $0 = true } }
            return translated
        }
    }

    public func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess {
        var request = request
        request.environment = environment.merging(request.environment) { _, own in own }
        return try await base.openTerminal(request)
    }

    // MARK: files and lifetime: the environment does not matter to them

    public func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] {
        try await base.writeFile(request, contents: contents)
    }

    public func readFile(_ request: FileRead) async throws -> FileDownload { try await base.readFile(request) }
    public func stat(path: String) async throws -> FileInfo { try await base.stat(path: path) }
    public func list(path: String) async throws -> [FileInfo] { try await base.list(path: path) }
    public func makeDirectory(path: String, parents: Bool) async throws { try await base.makeDirectory(path: path, parents: parents) }
    public func remove(path: String, recursive: Bool) async throws { try await base.remove(path: path, recursive: recursive) }
    public func move(from: String, to: String, overwrite: Bool) async throws { try await base.move(from: from, to: to, overwrite: overwrite) }
    public func destroy() async throws { try await base.destroy() }
    public var isKnownGone: Bool { base.isKnownGone }
    public var observesLiveness: Bool { base.observesLiveness }
}
