import Foundation
import HTTPTransport
import Sandbox

/// An upload's contents gathered from an async sequence into a request body: in memory while
/// small, in a temporary file past ``memoryLimit``, so a 100 MiB upload costs a disk write
/// rather than 100 MiB of memory (the transport streams a file body as it sends it).
struct UploadSpool: Sendable {
    static let memoryLimit = 4 << 20

    let body: HTTPRequestBody
    private let spoolPath: String?

    static func gather<Chunks: AsyncSequence>(_ contents: Chunks) async throws -> UploadSpool where Chunks.Element == [UInt8] {
        var held: [UInt8] = []
        var file: BackgroundFileWriter?
        do {
            for try await chunk in contents {
                if let file {
                    try await file.append(chunk)
                    continue
                }
                held += chunk
                if held.count > memoryLimit {
                    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-upload-\(UUID().uuidString)").path
                    let spool = try BackgroundFileWriter(creating: path, permissions: 0o600)
                    file = spool
                    try await spool.append(held)
                    held = []
                }
            }
            if let file {
                try await file.finish()
                return UploadSpool(body: .file(path: file.path), spoolPath: file.path)
            }
        } catch {
            file?.discard()
            if let error = error as? SandboxError { throw error }
            throw SandboxError(.noSpace, "cannot spool an upload to disk: \(error)", cause: error)
        }
        return UploadSpool(body: .bytes(held), spoolPath: nil)
    }

    /// Removes the spool file, if there is one.
    func discard() {
        if let spoolPath { try? FileManager.default.removeItem(atPath: spoolPath) }
    }
}
