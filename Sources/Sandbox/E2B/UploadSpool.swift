import Foundation
import HTTPTransport

/// An upload's contents gathered from an async sequence into a request body: in memory while
/// small, in a temporary file past ``memoryLimit``, so a 100 MiB upload costs a disk write
/// rather than 100 MiB of memory (the transport streams a file body as it sends it).
struct UploadSpool: Sendable {
    static let memoryLimit = 4 << 20
    /// Bytes gathered before each write to the spool file.
    static let writeBatch = 1 << 20

    let body: HTTPRequestBody
    private let spoolPath: String?

    static func gather<Chunks: AsyncSequence>(_ contents: Chunks) async throws -> UploadSpool where Chunks.Element == [UInt8] {
        var held: [UInt8] = []
        var file: BackgroundFileWriter?
        do {
            for try await chunk in contents {
                held += chunk
                if file == nil, held.count > memoryLimit {
                    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-upload-\(UUID().uuidString)").path
                    file = try BackgroundFileWriter(creating: path, permissions: 0o600)
                }
                if let file, held.count >= writeBatch {
                    try await file.write(held)
                    held.removeAll(keepingCapacity: true)
                }
            }
            if let file {
                if !held.isEmpty { try await file.write(held) }
                try file.close()
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
