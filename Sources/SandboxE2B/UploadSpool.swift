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

    /// - Throws: what `contents` throws, as it is (a body over its limit, a client gone);
    ///   ``SandboxError`` `noSpace` when the spool file cannot be written.
    static func gather<Chunks: AsyncSequence>(_ contents: Chunks) async throws -> UploadSpool where Chunks.Element == [UInt8] {
        var held: [UInt8] = []
        var file: BackgroundFileWriter?
        var iterator = contents.makeAsyncIterator()
        do {
            while true {
                let next: [UInt8]?
                do {
                    next = try await iterator.next()
                } catch {
                    throw ContentsFailure(error: error)
                }
                guard let chunk = next else { break }
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
        } catch let failure as ContentsFailure {
            file?.discard()
            throw failure.error
        } catch {
            file?.discard()
            if let error = error as? SandboxError { throw error }
            throw SandboxError(.noSpace, "cannot spool an upload to disk: \(error)", cause: error)
        }
        return UploadSpool(body: .bytes(held), spoolPath: nil)
    }

    /// Carries an error of the contents past the spool's own error handling.
    private struct ContentsFailure: Error {
        var error: any Error
    }

    /// Removes the spool file, if there is one.
    func discard() {
        if let spoolPath { try? FileManager.default.removeItem(atPath: spoolPath) }
    }
}
