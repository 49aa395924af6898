import JSONValues
import ModelProviders
import Sandbox

/// `Read {file_path, offset?, limit?}`: a file's lines, numbered like `cat -n`, through the
/// sandbox's file API.
///
/// The file streams in and reading stops as soon as the lines asked for are there, or the
/// output reaches ``ToolLimits/maxReadBytes``, or ``ToolLimits/maxScanBytes`` have been pulled:
/// the first 2000 lines of a 1 GiB file cost a few hundred KiB, never the file.
public struct ReadTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Read",
        description: """
            Reads a file in the sandbox and returns its lines numbered like `cat -n` (line numbers start at 1, \
            followed by a tab).

            - `file_path` should be absolute; a relative path is taken from the working directory.
            - By default up to 2000 lines from the start are returned; for long files give `offset` (the line \
            number to start at) and `limit` (how many lines).
            - Lines longer than 2000 characters are cut.
            - A binary file is described, not shown. A directory is an error: list it with Glob or Bash `ls`.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "file_path": ["type": "string", "description": "The absolute path to the file to read"],
                "offset": ["type": "number", "description": "The line number to start reading from (1 is the first line)"],
                "limit": ["type": "number", "description": "The number of lines to read"],
            ],
            "required": ["file_path"],
            "additionalProperties": false,
        ])

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let path = context.resolve(try input.string("file_path"))
        let firstLine = max(1, try input.optionalCount("offset") ?? 1)
        let limit = try input.optionalCount("limit") ?? context.limits.readDefaultLines
        if limit == 0 { throw ToolFailure("`limit` must be at least 1") }

        let info = try await FileToolSupport.stat(path, context: context)
        if info.kind == .directory {
            throw ToolFailure("\(path) is a directory, not a file: list it with Glob or Bash `ls`")
        }
        let download: FileDownload
        do {
            download = try await context.sandbox.readFile(FileRead(path: path))
        } catch let error as SandboxError {
            throw FileToolSupport.failure(error, path: path)
        }
        var lines = NumberedLines(
            firstLine: firstLine, limit: limit, maxOutputBytes: Int(clamping: context.limits.maxReadBytes),
            maxLineCharacters: context.limits.maxLineCharacters)
        var scanned: UInt64 = 0
        var stop: NumberedLines.Stop?
        // Leaving the loop early drops the download, which cancels it in the sandbox.
        for try await chunk in download.chunks {
            if scanned == 0, NumberedLines.looksBinary(chunk) {
                return ToolOutput("\(path) is a binary file (\(info.size) bytes); it is not shown. Inspect it with Bash (`file`, `od -c | head`).")
            }
            scanned += UInt64(chunk.count)
            if let reason = lines.feed(chunk) {
                stop = reason
                break
            }
            if scanned >= context.limits.maxScanBytes {
                stop = .scanLimit
                break
            }
        }
        if stop == nil { lines.finish() }
        return ToolOutput(lines.render(path: path, stop: stop, scannedBytes: scanned, fileSize: download.size))
    }
}

/// Turns streamed bytes into numbered lines, keeping only what will be shown.
struct NumberedLines {
    enum Stop {
        /// `limit` lines are out; more bytes followed.
        case lineLimit
        /// The output reached its byte cap.
        case outputLimit
        /// ``ToolLimits/maxScanBytes`` were pulled without finishing.
        case scanLimit
    }

    let firstLine: Int
    let limit: Int
    let maxOutputBytes: Int
    let maxLineCharacters: Int
    private(set) var output: [UInt8] = []
    /// The number of the line being assembled.
    private var lineNumber = 1
    private var current: [UInt8] = []
    private var currentCut = false
    private(set) var produced = 0
    /// Whether the file had any byte at all (an empty file gets its own answer).
    private var sawBytes = false

    init(firstLine: Int, limit: Int, maxOutputBytes: Int, maxLineCharacters: Int) {
        self.firstLine = firstLine
        self.limit = limit
        self.maxOutputBytes = maxOutputBytes
        self.maxLineCharacters = maxLineCharacters
    }

    /// A file whose first bytes hold a NUL is binary (what `grep` and `git` decide by too).
    static func looksBinary(_ chunk: [UInt8]) -> Bool {
        chunk.prefix(8192).contains(0)
    }

    /// Consumes a chunk; returns why to stop when no more bytes are needed.
    mutating func feed(_ chunk: [UInt8]) -> Stop? {
        guard !chunk.isEmpty else { return nil }
        sawBytes = true
        // The lines asked for ended exactly at the previous chunk's end, and the file goes on.
        if produced >= limit { return .lineLimit }
        var start = chunk.startIndex
        while start < chunk.endIndex {
            let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) ?? chunk.endIndex
            if lineNumber >= firstLine { keep(chunk[start..<newline]) }
            guard newline < chunk.endIndex else { break }
            if let stop = endLine(hasMore: newline + 1 < chunk.endIndex) { return stop }
            start = newline + 1
        }
        return nil
    }

    /// The stream ended: the last line without a newline still counts.
    mutating func finish() {
        if !current.isEmpty || currentCut { _ = endLine(hasMore: false) }
    }

    private mutating func keep(_ bytes: ArraySlice<UInt8>) {
        // Four bytes per character at most: enough to cut at `maxLineCharacters` later.
        let room = maxLineCharacters * 4 + 4 - current.count
        if bytes.count <= room {
            current.append(contentsOf: bytes)
        } else {
            current.append(contentsOf: bytes.prefix(max(0, room)))
            currentCut = true
        }
    }

    private mutating func endLine(hasMore: Bool) -> Stop? {
        defer {
            lineNumber += 1
            current.removeAll(keepingCapacity: true)
            currentCut = false
        }
        guard lineNumber >= firstLine else { return nil }
        if current.last == UInt8(ascii: "\r") { current.removeLast() }
        var text = String(decoding: current, as: UTF8.self)
        if currentCut || text.count > maxLineCharacters {
            text = String(text.prefix(maxLineCharacters)) + "… [line truncated]"
        }
        let number = String(lineNumber)
        output.append(contentsOf: (String(repeating: " ", count: max(0, 6 - number.count)) + number + "\t" + text + "\n").utf8)
        produced += 1
        if output.count >= maxOutputBytes { return .outputLimit }
        if produced >= limit { return hasMore ? .lineLimit : nil }
        return nil
    }

    func render(path: String, stop: Stop?, scannedBytes: UInt64, fileSize: UInt64) -> String {
        if !sawBytes { return "The file \(path) exists but is empty." }
        if produced == 0 && stop == nil {
            return "The file \(path) has \(lineNumber - 1) lines; offset \(firstLine) is past its end."
        }
        var text = String(decoding: output, as: UTF8.self)
        let last = firstLine + produced - 1
        switch stop {
        case .lineLimit?:
            text += "[lines \(firstLine)-\(last) shown; the file goes on: read more with offset \(last + 1)]"
        case .outputLimit?:
            text += "[output truncated at \(output.count) bytes after line \(last) (file size \(fileSize) bytes); read more with offset \(last + 1)]"
        case .scanLimit?:
            text +=
                "[stopped after reading \(scannedBytes) bytes of a \(fileSize)-byte file without reaching the lines asked for; "
                + "use Bash (`sed -n`, `head`, `tail`) for the far parts of huge files]"
        case nil:
            break
        }
        return text
    }
}

/// What the file tools share: `stat` and sandbox errors in words the model reads.
enum FileToolSupport {
    static func stat(_ path: String, context: ToolContext) async throws -> FileInfo {
        do {
            return try await context.sandbox.stat(path: path)
        } catch let error as SandboxError {
            throw failure(error, path: path)
        }
    }

    /// A sandbox error the model can act on becomes a ``ToolFailure``; the rest pass (a gone
    /// sandbox, a cancellation).
    static func failure(_ error: SandboxError, path: String) -> any Error {
        switch error.code {
        case .notFound: ToolFailure("File does not exist: \(path)")
        case .permissionDenied: ToolFailure("Permission denied: \(path) (\(error.message))")
        case .wrongFileKind: ToolFailure("\(path): \(error.message)")
        case .invalidArgument, .noSpace, .alreadyExists, .inUse: ToolFailure(error.message)
        default: error
        }
    }
}
