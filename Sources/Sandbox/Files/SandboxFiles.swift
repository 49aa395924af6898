/// How to write a file in a sandbox.
public struct FileWrite: Sendable, Equatable {
    /// Absolute, or relative to the sandbox's working directory.
    public var path: String
    /// Permission bits for a file this creates.
    public var mode: UInt32
    /// Add to the end of an existing file instead of replacing it.
    public var append: Bool
    /// Create missing parent directories.
    public var createParents: Bool

    /// The mode of a file written without one.
    public static let defaultMode: UInt32 = 0o644

    public init(path: String, mode: UInt32 = FileWrite.defaultMode, append: Bool = false, createParents: Bool = true) {
        self.path = path
        self.mode = mode
        self.append = append
        self.createParents = createParents
    }
}

/// Which part of a file to read.
public struct FileRead: Sendable, Equatable {
    public var path: String
    /// Where to start, in bytes.
    public var offset: UInt64
    /// How many bytes at most; nil reads to the end.
    public var length: UInt64?

    public init(path: String, offset: UInt64 = 0, length: UInt64? = nil) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}

public enum FileKind: Sendable, Equatable {
    case file
    case directory
    case symlink
    case other
}

/// A file or directory in a sandbox, as `stat` sees it (symlinks are not followed).
public struct FileInfo: Sendable, Equatable {
    public var name: String
    /// Absolute path inside the sandbox.
    public var path: String
    public var kind: FileKind
    public var size: UInt64
    /// Permission bits (`st_mode & 0o7777`).
    public var mode: UInt32
    /// Last modification, in nanoseconds since the Unix epoch (exact, so changes can be compared).
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

/// A file being downloaded: what it is, then its content as it arrives.
public struct FileDownload: Sendable {
    /// The file as it was when the download started. Its `size` is what the file system reports,
    /// which a pseudo-file does not keep to (`/proc` says 0, `/sys` 4096): the chunks end where
    /// the file does, so a reader must not take `size` for the length it will get.
    public let info: FileInfo
    public let chunks: AsyncThrowingStream<[UInt8], any Error>

    public init(info: FileInfo, chunks: AsyncThrowingStream<[UInt8], any Error>) {
        self.info = info
        self.chunks = chunks
    }

    /// The file's size as the file system reports it (see ``info``).
    public var size: UInt64 { info.size }
}

/// Cuts a buffer into chunks for an upload, so no backend has to take it whole.
public struct ChunkedBytes: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    /// 128 KiB: the runner's chunk size, so each chunk goes out as one frame.
    public static let chunkSize = 128 * 1024
    let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var offset = 0
        public mutating func next() async -> [UInt8]? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + ChunkedBytes.chunkSize, bytes.count)
            defer { offset = end }
            return Array(bytes[offset..<end])
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}
