/// One unit on the wire: `UInt32 length | UInt8 tag | UInt32 request id | body`.
///
/// `length` counts everything after itself. The body layout is fixed per tag (see
/// ``RunnerMessage``); data-carrying messages put their bytes last without a length
/// prefix so a chunk is copied once.
public struct Frame: Sendable, Equatable {
    public var id: UInt32
    public var message: RunnerMessage

    public init(id: UInt32, _ message: RunnerMessage) {
        self.id = id
        self.message = message
    }

    /// Header bytes before the body: length (4) + tag (1) + id (4).
    public static let headerSize = 9

    /// The frame's wire bytes, length prefix included.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: Self.headerSize + message.estimatedBodySize)
        writer.write(UInt32(0)) // patched below
        writer.write(message.tag.rawValue)
        writer.write(id)
        message.encodeBody(into: &writer)
        var bytes = writer.bytes
        let length = UInt32(bytes.count - 4)
        bytes[0] = UInt8(truncatingIfNeeded: length >> 24)
        bytes[1] = UInt8(truncatingIfNeeded: length >> 16)
        bytes[2] = UInt8(truncatingIfNeeded: length >> 8)
        bytes[3] = UInt8(truncatingIfNeeded: length)
        return bytes
    }

    /// Decodes one frame from exactly its bytes after the length prefix.
    public static func decode(body bytes: ArraySlice<UInt8>) throws(RunnerProtocolError) -> Frame {
        var reader = ByteReader(bytes)
        let rawTag = try reader.readUInt8()
        guard let tag = MessageTag(rawValue: rawTag) else { throw .unknownTag(rawTag) }
        let id = try reader.readUInt32()
        let message = try RunnerMessage.decodeBody(tag: tag, from: &reader)
        return Frame(id: id, message)
    }
}

/// Splits a byte stream into frames. Feed it whatever arrived; take frames out as they complete.
public struct FrameDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    public let maxFrameSize: Int

    public init(maxFrameSize: Int = RunnerWire.maxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        // Compact lazily so a stream of small frames does not shift the buffer each time.
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(RunnerProtocolError) -> Frame? {
        guard buffer.count - start >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length >= Frame.headerSize - 4 else { throw .malformed("frame length \(length) is shorter than a header") }
        guard length <= maxFrameSize else { throw .frameTooLarge(length) }
        guard buffer.count - start - 4 >= length else { return nil }
        let bodyStart = start + 4
        let body = buffer[bodyStart..<(bodyStart + length)]
        // Step past the frame before decoding it: a malformed frame costs only itself,
        // and the next call continues with the frame after it.
        start = bodyStart + length
        let frame = try Frame.decode(body: body)
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return frame
    }
}

public enum RunnerProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(String)
    case unknownTag(UInt8)
    case frameTooLarge(Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .truncated(let what): "runner frame truncated while reading \(what)"
        case .unknownTag(let tag): "unknown runner message tag \(tag)"
        case .frameTooLarge(let size): "runner frame of \(size) bytes exceeds the \(RunnerWire.maxFrameSize)-byte limit"
        case .malformed(let why): "malformed runner frame: \(why)"
        }
    }
}

enum MessageTag: UInt8 {
    case hello = 0x01
    case shellExec = 0x10
    case spawn = 0x11
    case ptyOpen = 0x12
    case input = 0x13
    case resize = 0x14
    case signal = 0x15
    case cancel = 0x16
    case writeFile = 0x20
    case readFile = 0x21
    case stat = 0x22
    case list = 0x23
    case makeDirectory = 0x24
    case remove = 0x25
    case move = 0x26
    case data = 0x40
    case endOfData = 0x41
    case ready = 0x81
    case started = 0x82
    case output = 0x83
    case execFinished = 0x84
    case fileInfo = 0x85
    case entries = 0x86
    case ok = 0x87
    case failure = 0x88
}

extension RunnerMessage {
    var tag: MessageTag {
        switch self {
        case .hello: .hello
        case .shellExec: .shellExec
        case .spawn: .spawn
        case .ptyOpen: .ptyOpen
        case .input: .input
        case .resize: .resize
        case .signal: .signal
        case .cancel: .cancel
        case .writeFile: .writeFile
        case .readFile: .readFile
        case .stat: .stat
        case .list: .list
        case .makeDirectory: .makeDirectory
        case .remove: .remove
        case .move: .move
        case .data: .data
        case .endOfData: .endOfData
        case .ready: .ready
        case .started: .started
        case .output: .output
        case .execFinished: .execFinished
        case .fileInfo: .fileInfo
        case .entries: .entries
        case .ok: .ok
        case .failure: .failure
        }
    }

    var estimatedBodySize: Int {
        switch self {
        case .data(let bytes), .input(let bytes): bytes.count
        case .output(_, let bytes): bytes.count + 1
        case .shellExec(let request): request.command.utf8.count + 32
        default: 64
        }
    }

    func encodeBody(into writer: inout ByteWriter) {
        switch self {
        case .hello(let hello):
            writer.write(hello.protocolVersion)
        case .shellExec(let request):
            writer.write(request.command)
            writer.write(request.timeoutMilliseconds)
            writer.write(request.maxOutputBytes)
            writer.write(request.rawOutput)
        case .spawn(let request):
            writer.write(request.arguments)
            writer.write(request.environment)
            writer.write(request.workingDirectory)
            writer.write(request.timeoutMilliseconds)
            writer.write(request.maxOutputBytes)
            writer.write(request.openStdin)
            writer.write(request.allowsPrestartedBash)
        case .ptyOpen(let request):
            writer.write(request.arguments)
            writer.write(request.environment)
            writer.write(request.workingDirectory)
            writer.write(request.size.rows)
            writer.write(request.size.columns)
        case .input(let bytes), .data(let bytes):
            writer.append(raw: bytes)
        case .resize(let size):
            writer.write(size.rows)
            writer.write(size.columns)
        case .signal(let signal):
            writer.write(signal)
        case .cancel, .endOfData, .ok:
            break
        case .writeFile(let request):
            writer.write(request.path)
            writer.write(request.mode)
            writer.write(request.append)
            writer.write(request.createParents)
        case .readFile(let request):
            writer.write(request.path)
            writer.write(request.offset)
            writer.write(request.length)
        case .stat(let path), .list(let path):
            writer.write(path)
        case .makeDirectory(let path, let parents, let mode):
            writer.write(path)
            writer.write(parents)
            writer.write(mode)
        case .remove(let path, let recursive):
            writer.write(path)
            writer.write(recursive)
        case .move(let from, let to, let overwrite):
            writer.write(from)
            writer.write(to)
            writer.write(overwrite)
        case .ready(let ready):
            writer.write(ready.protocolVersion)
            writer.write(ready.shell)
            writer.write(ready.runnerPID)
            writer.write(ready.uid)
        case .started(let pid):
            writer.write(pid)
        case .output(let stream, let bytes):
            writer.write(stream.rawValue)
            writer.append(raw: bytes)
        case .execFinished(let result):
            writer.write(result.exitCode)
            writer.write(result.signal)
            writer.write(result.workingDirectory)
            writer.write(result.durationNanoseconds)
            writer.write(result.outputBytes)
            writer.write(result.truncated)
            writer.write(result.timedOut)
            writer.write(result.cancelled)
            writer.write(result.oomKilled)
        case .fileInfo(let info):
            info.encode(into: &writer)
        case .entries(let entries):
            writer.write(UInt32(entries.count))
            for entry in entries { entry.encode(into: &writer) }
        case .failure(let failure):
            writer.write(failure.code.rawValue)
            writer.write(failure.errno)
            writer.write(failure.message)
        }
    }

    static func decodeBody(tag: MessageTag, from reader: inout ByteReader) throws(RunnerProtocolError) -> RunnerMessage {
        switch tag {
        case .hello:
            return .hello(Hello(protocolVersion: try reader.readUInt16()))
        case .shellExec:
            return .shellExec(
                ShellExecRequest(
                    command: try reader.readString(), timeoutMilliseconds: try reader.readUInt32(),
                    maxOutputBytes: try reader.readUInt64(), rawOutput: try reader.readBool()))
        case .spawn:
            return .spawn(
                SpawnRequest(
                    arguments: try reader.readStrings(), environment: try reader.readStrings(),
                    workingDirectory: try reader.readString(), timeoutMilliseconds: try reader.readUInt32(),
                    maxOutputBytes: try reader.readUInt64(), openStdin: try reader.readBool(),
                    // Added later: a host that predates it sends a frame that ends here.
                    allowsPrestartedBash: reader.remaining > 0 ? try reader.readBool() : false))
        case .ptyOpen:
            return .ptyOpen(
                PTYOpenRequest(
                    arguments: try reader.readStrings(), environment: try reader.readStrings(),
                    workingDirectory: try reader.readString(),
                    size: WindowSize(rows: try reader.readUInt16(), columns: try reader.readUInt16())))
        case .input:
            return .input(Array(reader.readRest()))
        case .data:
            return .data(Array(reader.readRest()))
        case .resize:
            return .resize(WindowSize(rows: try reader.readUInt16(), columns: try reader.readUInt16()))
        case .signal:
            return .signal(try reader.readInt32())
        case .cancel:
            return .cancel
        case .endOfData:
            return .endOfData
        case .ok:
            return .ok
        case .writeFile:
            return .writeFile(
                WriteFileRequest(
                    path: try reader.readString(), mode: try reader.readUInt32(),
                    append: try reader.readBool(), createParents: try reader.readBool()))
        case .readFile:
            return .readFile(
                ReadFileRequest(
                    path: try reader.readString(), offset: try reader.readUInt64(), length: try reader.readUInt64()))
        case .stat:
            return .stat(path: try reader.readString())
        case .list:
            return .list(path: try reader.readString())
        case .makeDirectory:
            return .makeDirectory(path: try reader.readString(), parents: try reader.readBool(), mode: try reader.readUInt32())
        case .remove:
            return .remove(path: try reader.readString(), recursive: try reader.readBool())
        case .move:
            return .move(from: try reader.readString(), to: try reader.readString(), overwrite: try reader.readBool())
        case .ready:
            return .ready(
                Ready(
                    protocolVersion: try reader.readUInt16(), shell: try reader.readString(),
                    runnerPID: try reader.readInt32(), uid: try reader.readUInt32()))
        case .started:
            return .started(pid: try reader.readInt32())
        case .output:
            let rawStream = try reader.readUInt8()
            guard let stream = OutputStream(rawValue: rawStream) else { throw .malformed("output stream \(rawStream)") }
            return .output(stream, Array(reader.readRest()))
        case .execFinished:
            return .execFinished(
                ExecResult(
                    exitCode: try reader.readInt32(), signal: try reader.readInt32(),
                    workingDirectory: try reader.readString(), durationNanoseconds: try reader.readUInt64(),
                    outputBytes: try reader.readUInt64(), truncated: try reader.readBool(),
                    timedOut: try reader.readBool(), cancelled: try reader.readBool(),
                    // Appended later: a runner that predates it sends nothing here.
                    oomKilled: reader.isAtEnd ? false : try reader.readBool()))
        case .fileInfo:
            return .fileInfo(try FileInfo.decode(from: &reader))
        case .entries:
            let count = Int(try reader.readUInt32())
            guard count <= reader.remaining / 8 else { throw .truncated("\(count) directory entries") }
            var entries: [FileInfo] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try FileInfo.decode(from: &reader)) }
            return .entries(entries)
        case .failure:
            return .failure(
                RunnerFailure(
                    code: RunnerFailure.Code(rawValue: try reader.readUInt16()),
                    errno: try reader.readInt32(), message: try reader.readString()))
        }
    }
}

extension FileInfo {
    func encode(into writer: inout ByteWriter) {
        writer.write(name)
        writer.write(path)
        writer.write(kind.rawValue)
        writer.write(size)
        writer.write(mode)
        writer.write(modifiedNanoseconds)
        writer.write(symlinkTarget)
    }

    static func decode(from reader: inout ByteReader) throws(RunnerProtocolError) -> FileInfo {
        let name = try reader.readString()
        let path = try reader.readString()
        let rawKind = try reader.readUInt8()
        guard let kind = FileKind(rawValue: rawKind) else { throw .malformed("file kind \(rawKind)") }
        return FileInfo(
            name: name, path: path, kind: kind, size: try reader.readUInt64(), mode: try reader.readUInt32(),
            modifiedNanoseconds: try reader.readInt64(), symlinkTarget: try reader.readString())
    }
}
