/// What to run in a sandbox: a line for its shell, or an argv started directly.
///
/// The sandbox's own vocabulary, independent of any backend's wire format: a backend converts
/// it at its edge (the Docker backend to runner requests, the E2B backend to envd calls).
public struct SandboxCommand: Sendable, Equatable {
    /// How the command is started.
    public enum Program: Sendable, Equatable {
        /// A command line for the sandbox's persistent shell, where the working directory,
        /// variables and functions of earlier lines persist (a backend without one, like E2B,
        /// runs each line in a fresh login shell).
        case shell(String)
        /// An argv started directly, without a shell, with separate stdout and stderr.
        case arguments([String])
    }

    public var program: Program
    /// Variables added to (or replacing in) the sandbox's environment for this process.
    /// Arguments only: the persistent shell keeps its own, so backends refuse them for a line.
    public var environment: [String: String]
    /// Where the process starts; nil is the sandbox's default. Arguments only, like ``environment``.
    public var workingDirectory: String?
    /// How long the process may run before it is killed and its result says `timedOut`; nil
    /// means no limit. Backends count it in whole milliseconds (see ``timeoutMilliseconds``).
    public var timeout: Duration?
    /// Output (stdout and stderr together) beyond this many bytes is drained and dropped, and the
    /// result says `truncated`; nil is the backend's default (``defaultMaxOutputBytes``).
    public var maxOutputBytes: UInt64?
    /// Whether ``SandboxProcess/write(_:)`` feeds stdin (arguments only); otherwise stdin is
    /// `/dev/null`, so a program waiting for input ends instead of hanging.
    public var openStdin: Bool
    /// Keep the bytes exactly as the shell's terminal produced them, without CRLF
    /// normalisation (shell lines only).
    public var rawOutput: Bool
    /// For `["bash", "-c", SCRIPT]` without stdin: the sandbox may run SCRIPT in a bash it
    /// started ahead (same environment and working directory, waiting for its script), which
    /// takes a process start off the command's path. The bash is as fresh as a new one; what
    /// differs is listed in runner/README.md ("Pre-started bash"). Backends without it start
    /// the process as usual. Arguments only.
    public var allowsPrestartedBash: Bool

    /// The output cap when a command names none, the same on every backend.
    public static let defaultMaxOutputBytes: UInt64 = 8 * 1024 * 1024

    public init(
        _ program: Program, environment: [String: String] = [:], workingDirectory: String? = nil,
        timeout: Duration? = nil, maxOutputBytes: UInt64? = nil, openStdin: Bool = false, rawOutput: Bool = false,
        allowsPrestartedBash: Bool = false
    ) {
        self.program = program
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.maxOutputBytes = maxOutputBytes
        self.openStdin = openStdin
        self.rawOutput = rawOutput
        self.allowsPrestartedBash = allowsPrestartedBash
    }

    /// A line for the persistent shell.
    public static func shell(
        _ line: String, timeout: Duration? = nil, maxOutputBytes: UInt64? = nil,
        rawOutput: Bool = false
    ) -> SandboxCommand {
        SandboxCommand(.shell(line), timeout: timeout, maxOutputBytes: maxOutputBytes, rawOutput: rawOutput)
    }

    /// An argv without the shell.
    public static func arguments(
        _ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        timeout: Duration? = nil, maxOutputBytes: UInt64? = nil, openStdin: Bool = false, allowsPrestartedBash: Bool = false
    ) -> SandboxCommand {
        SandboxCommand(
            .arguments(arguments), environment: environment, workingDirectory: workingDirectory,
            timeout: timeout, maxOutputBytes: maxOutputBytes, openStdin: openStdin, allowsPrestartedBash: allowsPrestartedBash)
    }

    /// The timeout in whole milliseconds as backends pass it on: truncated, at least 1 when
    /// set (a timeout under a millisecond must not read as "none"), 0 when there is none.
    public var timeoutMilliseconds: UInt32 {
        timeout.map(Self.milliseconds) ?? 0
    }

    /// Whole milliseconds of a timeout: truncated, at least 1, clamped to `UInt32`.
    public static func milliseconds(_ duration: Duration) -> UInt32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow else { return seconds > 0 ? .max : 1 }
        return UInt32(clamping: Swift.max(total.partialValue + attoseconds / 1_000_000_000_000_000, 1))
    }

    /// A short name for messages ("start python3", "run the command").
    public var summary: String {
        switch program {
        case .shell: "run the command"
        case .arguments(let arguments): "start \(arguments.first ?? "a process")"
        }
    }

    /// Throws ``SandboxError`` `invalidArgument` when a shell line carries options only an argv
    /// can have, instead of silently dropping them.
    public func validate() throws {
        switch program {
        case .shell(let line):
            try SandboxInput.check(line, "the command line")
            if !environment.isEmpty || workingDirectory != nil || openStdin || allowsPrestartedBash {
                throw SandboxError(
                    .invalidArgument,
                    "a shell line runs in the persistent shell: environment, working directory, stdin and a pre-started bash apply to arguments only"
                )
            }
        case .arguments(let arguments):
            if arguments.isEmpty { throw SandboxError(.invalidArgument, "a process needs a program") }
            for argument in arguments { try SandboxInput.check(argument, "an argument") }
            try SandboxInput.checkEnvironment(environment)
            if let workingDirectory { try SandboxInput.check(workingDirectory, "the working directory") }
            if rawOutput { throw SandboxError(.invalidArgument, "raw output applies to shell lines only") }
        }
    }
}

/// An interactive process on a fresh terminal (PTY).
public struct TerminalRequest: Sendable, Equatable {
    /// The argv to start; empty is the sandbox's shell as a login shell.
    public var arguments: [String]
    /// Variables added to (or replacing in) the sandbox's environment.
    public var environment: [String: String]
    /// Where the process starts; nil is the sandbox's default.
    public var workingDirectory: String?
    public var size: TerminalSize

    public init(
        arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String? = nil,
        size: TerminalSize = TerminalSize(rows: 24, columns: 80)
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.size = size
    }
}

/// A terminal's window size in character cells.
public struct TerminalSize: Sendable, Equatable {
    public var rows: UInt16
    public var columns: UInt16
    public init(rows: UInt16, columns: UInt16) {
        self.rows = rows
        self.columns = columns
    }
}
