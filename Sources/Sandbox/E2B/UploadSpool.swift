import Foundation
import HTTPTransport

/// An upload's contents gathered from an async sequence into a request body: in memory while
/// small, in a temporary file past ``memoryLimit``, so a 100 MiB upload costs a disk write
/// rather than 100 MiB of memory (the transport streams a file body as it sends it).
struct UploadSpool: Sendable {
    static let memoryLimit = 4 << 20

    let body: HTTPRequestBody
    private let spoolPath: String?

    static func gather<Chunks: AsyncSequence>(_ contents: Chunks) async throws -> UploadSpool where Chunks.Element == [UInt8] {
        var held: [UInt8] = []
        var file: FileHandle?
        var path: String?
        do {
            for try await chunk in contents {
                if let file {
                    try file.write(contentsOf: chunk)
                    continue
                }
                held += chunk
                if held.count > memoryLimit {
                    let spool = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-upload-\(UUID().uuidString)").path
                    guard FileManager.default.createFile(atPath: spool, contents: nil, attributes: [.posixPermissions: 0o600]),
                          let handle = FileHandle(forWritingAtPath: spool) else {
                        throw SandboxError(.internal, "cannot create a spool file for an upload at \(spool)")
                    }
                    path = spool
                    file = handle
                    try handle.write(contentsOf: held)
                    held = []
                }
            }
            try file?.close()
        } catch {
            try? file?.close()
            if let path { try? FileManager.default.removeItem(atPath: path) }
            if let error = error as? SandboxError { throw error }
            throw SandboxError(.noSpace, "cannot spool an upload to disk: \(error)", cause: error)
        }
        if let path { return UploadSpool(body: .file(path: path), spoolPath: path) }
        return UploadSpool(body: .bytes(held), spoolPath: nil)
    }

    /// Removes the spool file, if there is one.
    func discard() {
        if let spoolPath { try? FileManager.default.removeItem(atPath: spoolPath) }
    }
}
