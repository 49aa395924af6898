/// Messages exchanged between the host and the runner (PID 1 in every sandbox).
///
/// One persistent byte channel carries frames in both directions. Every frame names
/// a request id: the host picks a fresh id per operation, and everything the runner
/// says about that operation (output chunks, file data, the final result) carries the
/// same id, so many operations can be in flight at once over one channel.
/// Id 0 is the control stream (hello → ready).
public enum RunnerMessage: Sendable, Equatable {
    // MARK: host → runner

    /// Opens the session. The runner answers ``ready(_:)`` once its shell is initialised.
    case hello(Hello)
    /// Runs a command line in the persistent shell (cwd, env, functions persist).
    case shellExec(ShellExecRequest)
    /// Runs an argv directly, without the shell, with separate stdout and stderr.
    case spawn(SpawnRequest)
    /// Starts a process on a fresh PTY for interactive use.
    case ptyOpen(PTYOpenRequest)
    /// Bytes for the stdin of a spawned process or PTY. Empty means end of input.
    case input([UInt8])
    /// New window size for a PTY.
    case resize(WindowSize)
    /// Delivers a signal to the process (group) of a running operation.
    case signal(Int32)
    /// Cancels a running operation: an exec is interrupted as on timeout, a file transfer aborted.
    case cancel
    /// Starts a file upload; ``data(_:)`` chunks and ``endOfData`` follow on the same id.
    case writeFile(WriteFileRequest)
    /// Starts a file download: the runner replies ``fileInfo(_:)``, ``data(_:)`` chunks, ``endOfData``.
    case readFile(ReadFileRequest)
    case stat(path: String)
    case list(path: String)
    case makeDirectory(path: String, parents: Bool, mode: UInt32)
    case remove(path: String, recursive: Bool)
    case move(from: String, to: String, overwrite: Bool)

    // MARK: both directions

    /// A chunk of file content.
    case data([UInt8])
    /// The end of a file stream.
    case endOfData

    // MARK: runner → host

    case ready(Ready)
    /// A process of a spawn/PTY/exec operation started with this pid.
    case started(pid: Int32)
    /// Output produced by a running operation, as soon as it was read.
    case output(OutputStream, [UInt8])
    /// The final result of a shell exec, spawn or PTY session.
    case execFinished(ExecResult)
    case fileInfo(FileInfo)
    case entries([FileInfo])
    /// Success of an operation with nothing else to report.
    case ok
    /// The operation failed; no further frames follow for this id.
    case failure(RunnerFailure)
}

public struct Hello: Sendable, Equatable {
    public var protocolVersion: UInt16
    public init(protocolVersion: UInt16 = RunnerWire.version) { self.protocolVersion = protocolVersion }
}

public struct Ready: Sendable, Equatable {
    public var protocolVersion: UInt16
    /// The shell serving ``RunnerMessage/shellExec(_:)``, e.g. `/bin/bash`.
    public var shell: String
    public var runnerPID: Int32
    public var uid: UInt32
    public init(protocolVersion: UInt16 = RunnerWire.version, shell: String, runnerPID: Int32, uid: UInt32) {
        self.protocolVersion = protocolVersion
        self.shell = shell
        self.runnerPID = runnerPID
        self.uid = uid
    }
}

public struct ShellExecRequest: Sendable, Equatable {
    public var command: String
    /// 0 means no timeout.
    public var timeoutMilliseconds: UInt32
    /// Output beyond this many bytes is drained and dropped; the result says `truncated`. 0 means the runner's default.
    public var maxOutputBytes: UInt64
    /// Keep the bytes exactly as the terminal produced them (no CRLF normalisation).
    public var rawOutput: Bool
    public init(command: String, timeoutMilliseconds: UInt32 = 0, maxOutputBytes: UInt64 = 0, rawOutput: Bool = false) {
        self.command = command
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxOutputBytes = maxOutputBytes
        self.rawOutput = rawOutput
    }
}

public struct SpawnRequest: Sendable, Equatable {
    public var arguments: [String]
    /// `KEY=VALUE` entries added to (or replacing in) the runner's environment.
    public var environment: [String]
    /// Empty means the runner's working directory.
    public var workingDirectory: String
    public var timeoutMilliseconds: UInt32
    public var maxOutputBytes: UInt64
    /// When false stdin is `/dev/null`; when true ``RunnerMessage/input(_:)`` frames feed it.
    public var openStdin: Bool
    /// For `["bash", "-c", SCRIPT]` without stdin: the runner may hand SCRIPT to a bash it
    /// started ahead with the same environment and working directory (already exec'd and
    /// initialised, waiting for its script), which saves the start of a process on the
    /// command's path. The few ways that differs from a fresh `bash -c` are in runner/README.md
    /// ("Pre-started bash"). A runner that does not know the field ignores it (it is the last
    /// one of the frame) and starts the process as usual.
    public var allowsPrestartedBash: Bool
    public init(
        arguments: [String], environment: [String] = [], workingDirectory: String = "",
        timeoutMilliseconds: UInt32 = 0, maxOutputBytes: UInt64 = 0, openStdin: Bool = false,
        allowsPrestartedBash: Bool = false
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxOutputBytes = maxOutputBytes
        self.openStdin = openStdin
        self.allowsPrestartedBash = allowsPrestartedBash
    }
}

public struct WindowSize: Sendable, Equatable {
    public var rows: UInt16
    public var columns: UInt16
    public init(rows: UInt16, columns: UInt16) {
        self.rows = rows
        self.columns = columns
    }
}

public struct PTYOpenRequest: Sendable, Equatable {
    /// Empty means the runner's shell as a login shell.
    public var arguments: [String]
    public var environment: [String]
    public var workingDirectory: String
    public var size: WindowSize
    public init(
        arguments: [String] = [], environment: [String] = [], workingDirectory: String = "",
        size: WindowSize = WindowSize(rows: 24, columns: 80)
    ) {
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.size = size
    }
}

public enum OutputStream: UInt8, Sendable, Equatable {
    /// Standard output, or the terminal for shell execs and PTYs.
    case stdout = 1
    case stderr = 2
}

public struct ExecResult: Sendable, Equatable {
    /// The exit status; for a process killed by a signal, 128 + signal (as shells report it).
    public var exitCode: Int32
    /// The signal that ended the process, or 0.
    public var signal: Int32
    /// The shell's working directory afterwards (shell execs only; empty otherwise).
    public var workingDirectory: String
    public var durationNanoseconds: UInt64
    /// Total output bytes the command produced, including any dropped beyond the cap.
    public var outputBytes: UInt64
    public var truncated: Bool
    public var timedOut: Bool
    public var cancelled: Bool
    /// The kernel's OOM killer killed a process of the sandbox while this one ran (for a shell
    /// exec, possibly the shell itself: the command grew it past the memory limit).
    public var oomKilled: Bool
    public init(
        exitCode: Int32, signal: Int32 = 0, workingDirectory: String = "", durationNanoseconds: UInt64,
        outputBytes: UInt64 = 0, truncated: Bool = false, timedOut: Bool = false, cancelled: Bool = false,
        oomKilled: Bool = false
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.workingDirectory = workingDirectory
        self.durationNanoseconds = durationNanoseconds
        self.outputBytes = outputBytes
        self.truncated = truncated
        self.timedOut = timedOut
        self.cancelled = cancelled
        self.oomKilled = oomKilled
    }
}

public struct WriteFileRequest: Sendable, Equatable {
    public var path: String
    public var mode: UInt32
    public var append: Bool
    public var createParents: Bool
    public init(path: String, mode: UInt32 = 0o644, append: Bool = false, createParents: Bool = true) {
        self.path = path
        self.mode = mode
        self.append = append
        self.createParents = createParents
    }
}

public struct ReadFileRequest: Sendable, Equatable {
    public var path: String
    public var offset: UInt64
    /// 0 means to the end of the file.
    public var length: UInt64
    public init(path: String, offset: UInt64 = 0, length: UInt64 = 0) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}

public enum FileKind: UInt8, Sendable, Equatable {
    case file = 1
    case directory = 2
    case symlink = 3
    case other = 4
}

public struct FileInfo: Sendable, Equatable {
    public var name: String
    /// Absolute path inside the sandbox.
    public var path: String
    public var kind: FileKind
    public var size: UInt64
    /// Permission bits (`st_mode & 0o7777`).
    public var mode: UInt32
    public var modifiedNanoseconds: Int64
    /// For symlinks, where they point; empty otherwise.
    public var symlinkTarget: String
    public init(
        name: String, path: String, kind: FileKind, size: UInt64, mode: UInt32,
        modifiedNanoseconds: Int64, symlinkTarget: String = ""
    ) {
        self.name = name
        self.path = path
        self.kind = kind
        self.size = size
        self.mode = mode
        self.modifiedNanoseconds = modifiedNanoseconds
        self.symlinkTarget = symlinkTarget
    }
}

/// Why an operation failed, in terms a host can map to its own error codes.
public struct RunnerFailure: Sendable, Equatable, Error {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let notFound = Code(rawValue: 1)
        public static let isDirectory = Code(rawValue: 2)
        public static let notDirectory = Code(rawValue: 3)
        public static let permissionDenied = Code(rawValue: 4)
        public static let readOnlyFileSystem = Code(rawValue: 5)
        public static let alreadyExists = Code(rawValue: 6)
        public static let noSpace = Code(rawValue: 7)
        public static let notEmpty = Code(rawValue: 8)
        public static let invalidRequest = Code(rawValue: 9)
        public static let spawnFailed = Code(rawValue: 10)
        public static let cancelled = Code(rawValue: 11)
        public static let unsupported = Code(rawValue: 12)
        public static let io = Code(rawValue: 13)
        /// The persistent shell died (e.g. the command ran `exit`); the runner restarts it.
        public static let shellExited = Code(rawValue: 14)
        public static let `internal` = Code(rawValue: 15)

        public var description: String {
            switch self {
            case .notFound: "not found"
            case .isDirectory: "is a directory"
            case .notDirectory: "not a directory"
            case .permissionDenied: "permission denied"
            case .readOnlyFileSystem: "read-only file system"
            case .alreadyExists: "already exists"
            case .noSpace: "no space left on device"
            case .notEmpty: "directory not empty"
            case .invalidRequest: "invalid request"
            case .spawnFailed: "spawn failed"
            case .cancelled: "cancelled"
            case .unsupported: "unsupported"
            case .io: "I/O error"
            case .shellExited: "shell exited"
            case .internal: "internal runner error"
            default: "runner error \(rawValue)"
            }
        }
    }

    public var code: Code
    /// The errno behind the failure, or 0.
    public var errno: Int32
    public var message: String
    public init(code: Code, errno: Int32 = 0, message: String) {
        self.code = code
        self.errno = errno
        self.message = message
    }
}

/// Protocol constants shared by both ends.
public enum RunnerWire {
    public static let version: UInt16 = 1
    /// Frames larger than this are a protocol violation (guards against corrupt lengths).
    public static let maxFrameSize = 4 * 1024 * 1024
    /// The size file and output chunks are cut to.
    public static let chunkSize = 128 * 1024
    /// Default output cap for execs that do not name one.
    public static let defaultMaxOutputBytes: UInt64 = 8 * 1024 * 1024
    /// Request id of the control stream.
    public static let controlStream: UInt32 = 0
    /// The environment variable that confines a runner's files to one directory (an absolute
    /// path): it then serves stat, list and read only beneath it, resolved by the kernel so that
    /// no symlink or `..` leads out, and refuses everything that changes files. What a helper
    /// that browses a shared workspace runs with.
    public static let filesBeneathVariable = "SANDCASTLE_RUNNER_FILES_BENEATH"
}
