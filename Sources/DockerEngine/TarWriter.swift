#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes POSIX ustar archives, for image build contexts and `PUT …/archive` uploads.
///
/// Output goes to memory or straight to a file; file entries can be streamed from disk so
/// a context holding a large binary never sits in memory. Paths longer than ustar allows get
/// a PAX extended header. Entries default to uid/gid 0 and mtime 0 so the same inputs give
/// byte-identical archives (stable build cache keys).
///
/// Not thread-safe: one writer per task.
public final class TarWriter {
    private enum Output {
        case memory
        case file(fd: Int32, path: String)
    }

    private var output: Output
    private var buffer: [UInt8] = []
    private var finished = false
    /// Chunk size for streaming file contents.
    private static let copyChunk = 1 << 20

    /// Owner and time stamped on entries unless a call overrides them.
    public var defaultUID = 0
    public var defaultGID = 0
    public var defaultModificationTime: Int64 = 0

    /// An archive built in memory; ``finish()`` returns it.
    public init() {
        output = .memory
    }

    /// An archive written to `path` (created or truncated).
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DockerError(.fileSystem, "cannot create tar archive \(path): \(String(cString: strerror(errno)))")
        }
        output = .file(fd: fd, path: path)
    }

    deinit {
        if case .file(let fd, _) = output { _ = close(fd) }
    }

    /// Adds a regular file with `contents`.
    public func addFile(_ path: String, contents: [UInt8], mode: UInt32 = 0o644, modificationTime: Int64? = nil) throws {
        let name = try Self.normalize(path)
        try writeHeader(name: name, type: .regular, size: Int64(contents.count), mode: mode, modificationTime: modificationTime)
        try emit(contents)
        try pad(Int64(contents.count))
    }

    /// Adds a regular file whose contents are streamed from `source` on disk.
    /// `mode` defaults to the source file's permission bits.
    public func addFile(_ path: String, contentsOf source: String, mode: UInt32? = nil, modificationTime: Int64? = nil) throws {
        let name = try Self.normalize(path)
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DockerError(.fileSystem, "cannot open \(source) for the tar archive: \(String(cString: strerror(errno)))")
        }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DockerError(.fileSystem, "cannot stat \(source): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw DockerError(.invalidArgument, "\(source) is not a regular file")
        }
        let size = Int64(info.st_size)
        try writeHeader(
            name: name, type: .regular, size: size, mode: mode ?? UInt32(info.st_mode & 0o7777),
            modificationTime: modificationTime)
        var remaining = size
        var chunk = [UInt8](repeating: 0, count: Int(min(Int64(Self.copyChunk), max(size, 1))))
        while remaining > 0 {
            let want = Int(min(Int64(chunk.count), remaining))
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw DockerError(.fileSystem, "cannot read \(source): \(String(cString: strerror(errno)))")
            }
            if n == 0 {
                // The header already promised `size` bytes; a shrinking file would corrupt the archive.
                throw DockerError(.fileSystem, "\(source) shrank while being archived")
            }
            try emit(chunk[0..<n])
            remaining -= Int64(n)
        }
        try pad(size)
    }

    /// Adds a directory entry.
    public func addDirectory(_ path: String, mode: UInt32 = 0o755, modificationTime: Int64? = nil) throws {
        var name = try Self.normalize(path)
        if !name.hasSuffix("/") { name += "/" }
        try writeHeader(name: name, type: .directory, size: 0, mode: mode, modificationTime: modificationTime)
    }

    /// Adds a symbolic link to `target`.
    public func addSymlink(_ path: String, target: String, modificationTime: Int64? = nil) throws {
        let name = try Self.normalize(path)
        try writeHeader(name: name, type: .symlink, size: 0, mode: 0o777, linkTarget: target, modificationTime: modificationTime)
    }

    /// Writes the end-of-archive marker. Returns the archive for in-memory writers, `[]` for file writers
    /// (whose file is closed). Adding entries afterwards is an error.
    @discardableResult
    public func finish() throws -> [UInt8] {
        guard !finished else { return [] }
        try emit([UInt8](repeating: 0, count: 1024))
        finished = true
        switch output {
        case .memory:
            defer { buffer = [] }
            return buffer
        case .file(let fd, let path):
            output = .memory
            if close(fd) != 0 {
                throw DockerError(.fileSystem, "cannot finish tar archive \(path): \(String(cString: strerror(errno)))")
            }
            return []
        }
    }

    // MARK: Encoding

    private enum EntryType: UInt8 {
        case regular = 0x30 // "0"
        case symlink = 0x32 // "2"
        case directory = 0x35 // "5"
        case paxHeader = 0x78 // "x"
    }

    /// Strips leading `./` and `/` and rejects `..` so an archive cannot escape its extraction directory.
    static func normalize(_ path: String) throws -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        parts.removeAll { $0 == "." }
        guard !parts.isEmpty else { throw DockerError(.invalidArgument, "empty path for a tar entry: '\(path)'") }
        guard !parts.contains("..") else { throw DockerError(.invalidArgument, "tar entry path must not contain '..': \(path)") }
        guard !path.utf8.contains(0) else { throw DockerError(.invalidArgument, "tar entry path contains NUL") }
        return parts.joined(separator: "/") + (path.hasSuffix("/") ? "/" : "")
    }

    private func writeHeader(
        name: String, type: EntryType, size: Int64, mode: UInt32, linkTarget: String = "",
        modificationTime: Int64?
    ) throws {
        guard !finished else { throw DockerError(.invalidArgument, "tar archive already finished") }
        let mtime = modificationTime ?? defaultModificationTime
        var pax: [(String, String)] = []
        var ustarName = name
        var prefix = ""
        if name.utf8.count > 100 {
            if let split = Self.splitForUstar(name) {
                (prefix, ustarName) = split
            } else {
                pax.append(("path", name))
                ustarName = String(decoding: name.utf8.suffix(100), as: UTF8.self)
            }
        }
        if linkTarget.utf8.count > 100 { pax.append(("linkpath", linkTarget)) }
        // Octal size fields hold 11 digits: beyond 8 GiB the size moves into the PAX header.
        let sizeFits = size <= 0o77777777777
        if !sizeFits { pax.append(("size", String(size))) }
        if !pax.isEmpty {
            var records: [UInt8] = []
            for (key, value) in pax { records += Self.paxRecord(key, value) }
            let paxName = "PaxHeaders/" + String(decoding: ustarName.utf8.suffix(80), as: UTF8.self)
            try emit(
                Self.header(
                    name: paxName, prefix: "", type: .paxHeader, size: Int64(records.count), mode: 0o644,
                    uid: 0, gid: 0, mtime: mtime, linkTarget: ""))
            try emit(records)
            try pad(Int64(records.count))
        }
        try emit(
            Self.header(
                name: ustarName, prefix: prefix, type: type, size: sizeFits ? size : 0, mode: mode,
                uid: defaultUID, gid: defaultGID, mtime: mtime,
                linkTarget: String(decoding: linkTarget.utf8.prefix(100), as: UTF8.self)))
    }

    /// Splits a long path at a `/` into ustar's prefix (≤155 bytes) and name (≤100 bytes).
    private static func splitForUstar(_ path: String) -> (String, String)? {
        let bytes = Array(path.utf8)
        var index = bytes.count - 1
        while index > 0 {
            if bytes[index] == UInt8(ascii: "/") {
                let prefix = bytes[..<index]
                let name = bytes[(index + 1)...]
                if prefix.count <= 155 && name.count <= 100 && !name.isEmpty {
                    return (String(decoding: prefix, as: UTF8.self), String(decoding: name, as: UTF8.self))
                }
                if name.count > 100 { return nil }
            }
            index -= 1
        }
        return nil
    }

    /// `"<len> key=value\n"` where `<len>` counts the whole record including itself.
    private static func paxRecord(_ key: String, _ value: String) -> [UInt8] {
        let body = " \(key)=\(value)\n"
        var length = body.utf8.count + 1
        while String(length).utf8.count + body.utf8.count != length { length += 1 }
        return Array((String(length) + body).utf8)
    }

    private static func header(
        name: String, prefix: String, type: EntryType, size: Int64, mode: UInt32, uid: Int, gid: Int,
        mtime: Int64, linkTarget: String
    ) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { block[offset + i] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            // width - 1 digits, zero-padded, then NUL.
            let digits = String(max(value, 0), radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode & 0o7777), at: 100, width: 8)
        octal(Int64(uid), at: 108, width: 8)
        octal(Int64(gid), at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        block[156] = type.rawValue
        put(linkTarget, at: 157, width: 100)
        put("ustar", at: 257, width: 6) // "ustar\0"
        put("00", at: 263, width: 2)
        put(uid == 0 ? "root" : "", at: 265, width: 32)
        put(gid == 0 ? "root" : "", at: 297, width: 32)
        put(prefix, at: 345, width: 155)
        // The checksum is computed with its own field read as eight spaces.
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }

    private func pad(_ size: Int64) throws {
        let remainder = Int(size % 512)
        if remainder != 0 { try emit([UInt8](repeating: 0, count: 512 - remainder)) }
    }

    private func emit(_ bytes: some Collection<UInt8>) throws {
        switch output {
        case .memory:
            buffer.append(contentsOf: bytes)
        case .file(let fd, let path):
            try writeAll(fd, bytes, path: path)
        }
    }
}
