import Foundation
import HTTPTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Metadata of a path inside a container (`X-Docker-Container-Path-Stat`).
public struct ContainerPathStat: Codable, Sendable, Hashable {
    public var name: String
    public var size: Int64
    /// Go `os.FileMode` bits: permission bits plus type flags (directory = 1 << 31, symlink = 1 << 27).
    public var mode: UInt32
    public var mtime: String?
    public var linkTarget: String?

    /// Whether the path is a directory.
    public var isDirectory: Bool { mode & (1 << 31) != 0 }
    /// The permission bits (e.g. 0o644).
    public var permissions: UInt32 { mode & 0o7777 }
}

/// A tar stream of a path inside a container.
public struct ContainerArchive: Sendable {
    /// Metadata of the requested path, when the engine sent it.
    public var stat: ContainerPathStat?
    /// The tar bytes.
    public var body: DockerByteStream
}

extension DockerClient {
    /// `PUT /containers/{id}/archive?path=`: extracts a tar archive (a file on disk, streamed)
    /// into the directory `path` of the container. `path` must exist and be a directory.
    public func putArchive(
        id: String, path: String, tarFile: String, noOverwriteDirNonDir: Bool = false,
        copyUIDGID: Bool = false, timeout: Duration? = nil
    ) async throws {
        try await request(
            .put, "/containers/\(Self.segment(id))/archive",
            query: [("path", path), ("noOverwriteDirNonDir", Self.bool(noOverwriteDirNonDir)), ("copyUIDGID", Self.bool(copyUIDGID))],
            body: .file(path: tarFile), contentType: "application/x-tar", timeout: timeout)
    }

    /// `PUT /containers/{id}/archive?path=` with the tar archive in memory.
    public func putArchive(
        id: String, path: String, tarBytes: [UInt8], noOverwriteDirNonDir: Bool = false,
        copyUIDGID: Bool = false, timeout: Duration? = nil
    ) async throws {
        try await request(
            .put, "/containers/\(Self.segment(id))/archive",
            query: [("path", path), ("noOverwriteDirNonDir", Self.bool(noOverwriteDirNonDir)), ("copyUIDGID", Self.bool(copyUIDGID))],
            body: .bytes(tarBytes), contentType: "application/x-tar", timeout: timeout)
    }

    /// `GET /containers/{id}/archive?path=`: the path (file or directory) as a tar stream,
    /// delivered chunk by chunk. A missing path is `notFound`.
    public func getArchive(id: String, path: String) async throws -> ContainerArchive {
        let response = try await stream(.get, "/containers/\(Self.segment(id))/archive", query: [("path", path)])
        return ContainerArchive(stat: Self.pathStat(response.headers), body: DockerByteStream(body: response.body, host: host))
    }

    /// Downloads `path` from the container as a tar file at `destination` (overwritten).
    @discardableResult
    public func getArchive(id: String, path: String, to destination: String) async throws -> ContainerPathStat? {
        let archive = try await getArchive(id: id, path: path)
        let fd = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DockerError(.fileSystem, "cannot create \(destination): \(String(cString: strerror(errno)))")
        }
        defer { _ = close(fd) }
        for try await chunk in archive.body {
            try writeAll(fd, chunk, path: destination)
        }
        return archive.stat
    }

    /// `HEAD /containers/{id}/archive?path=`: metadata of a path in the container.
    public func archiveStat(id: String, path: String) async throws -> ContainerPathStat {
        let response = try await request(.head, "/containers/\(Self.segment(id))/archive", query: [("path", path)], accept: [404])
        if response.status == 404 {
            throw DockerError(.notFound, "no such file or directory in container \(id): \(path)", statusCode: 404)
        }
        guard let stat = Self.pathStat(response.headers) else {
            throw DockerError(.invalidResponse, "the engine sent no path stat for \(path) in container \(id)")
        }
        return stat
    }

    static func pathStat(_ headers: HTTPHeaders) -> ContainerPathStat? {
        guard let encoded = headers["X-Docker-Container-Path-Stat"], let data = Data(base64Encoded: encoded) else { return nil }
        return try? JSONDecoder().decode(ContainerPathStat.self, from: data)
    }
}

/// Writes every byte, retrying short writes and EINTR.
func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>, path: String) throws {
    let done: Void? = try bytes.withContiguousStorageIfAvailable { buffer in
        try writeAll(fd, UnsafeRawBufferPointer(buffer), path: path)
    }
    if done == nil {
        try Array(bytes).withUnsafeBytes { try writeAll(fd, $0, path: path) }
    }
}

private func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String) throws {
    guard let base = buffer.baseAddress else { return }
    var offset = 0
    while offset < buffer.count {
        let n = write(fd, base + offset, buffer.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            throw DockerError(.fileSystem, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        offset += n
    }
}
