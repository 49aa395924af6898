import Foundation
import Hummingbird
import NIOCore
import Sandbox
import ServerCore

/// `/v1/sandboxes/{id}/files…`: binary upload and download (streamed both ways through the
/// runner channel in bounded chunks, each in a turn of the server's ``TransferGate``), list,
/// stat, mkdir, remove, move.
struct FileController {
    let service: SandboxService
    let maxBodyBytes: Int
    let maxUploadBytes: Int
    let transfers: TransferGate

    func register(_ routes: RouteTable) {
        let service = self.service
        let limit = maxBodyBytes
        let uploadLimit = maxUploadBytes
        let transfers = self.transfers
        routes.add(.get, "/v1/sandboxes/:id/files") { request, context in
            let (id, sandbox) = try await Self.sandbox(service, context)
            let path = request.uri.queryParameters.get("path") ?? "/workspace"
            let entries = try await Self.run(service, id) { try await sandbox.list(path: path) }
            return try HTTP.json(FileList(path: path, entries: entries.map(FileView.init)))
        }
        routes.add(.get, "/v1/sandboxes/:id/files/stat") { request, context in
            let (id, sandbox) = try await Self.sandbox(service, context)
            let path = try HTTP.query(request, "path")
            return try HTTP.json(FileView(try await Self.run(service, id) { try await sandbox.stat(path: path) }))
        }
        routes.add(.get, "/v1/sandboxes/:id/files/content") { request, context in
            let (id, sandbox) = try await Self.sandbox(service, context)
            let path = try HTTP.query(request, "path")
            let slot = try await transfers.enter()
            let download: FileDownload
            do {
                download = try await Self.run(service, id) { try await sandbox.readFile(FileRead(path: path)) }
            } catch {
                slot.release()
                throw error
            }
            return HTTP.download(download, releasing: slot)
        }
        routes.add(.put, "/v1/sandboxes/:id/files/content") { request, context in
            let (id, sandbox) = try await Self.sandbox(service, context)
            let path = try HTTP.query(request, "path")
            var mode: UInt32 = 0o644
            if let text = request.uri.queryParameters.get("mode") {
                guard text.count <= 4, text.allSatisfy({ ("0"..."7").contains($0) }), let parsed = UInt32(text, radix: 8) else {
                    throw ServerError(.invalidInput, "mode must be octal permission bits like 644, not '\(text)'")
                }
                mode = parsed
            }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > uploadLimit {
                throw ServerError(.bodyTooLarge, "the upload has \(length) bytes; the limit is \(uploadLimit)")
            }
            let write = FileWrite(path: path, mode: mode, append: try HTTP.bool(request, "append"))
            // Staged and renamed into place: a failed or cut-off upload leaves the path as it was.
            let info = try await transfers.run {
                try await Self.run(service, id) {
                    try await sandbox.replaceFile(write, contents: UploadChunks(body: request.body, limit: uploadLimit))
                }
            }
            return try HTTP.json(FileView(info), status: .created)
        }
        routes.add(.delete, "/v1/sandboxes/:id/files") { request, context in
            let (id, sandbox) = try await Self.sandbox(service, context)
            let path = try HTTP.query(request, "path")
            let recursive = try HTTP.bool(request, "recursive")
            try await Self.run(service, id) { try await sandbox.remove(path: path, recursive: recursive) }
            return try HTTP.json(OKResponse())
        }
        routes.add(.post, "/v1/sandboxes/:id/files/mkdir") { request, context in
            let body = try await HTTP.decode(MakeDirectoryRequest.self, from: request, limit: limit)
            let (id, sandbox) = try await Self.sandbox(service, context)
            try await Self.run(service, id) { try await sandbox.makeDirectory(path: body.path, parents: body.parents ?? true) }
            return try HTTP.json(OKResponse(), status: .created)
        }
        routes.add(.post, "/v1/sandboxes/:id/files/move") { request, context in
            let body = try await HTTP.decode(MoveRequest.self, from: request, limit: limit)
            let (id, sandbox) = try await Self.sandbox(service, context)
            try await Self.run(service, id) { try await sandbox.move(from: body.from, to: body.to, overwrite: body.overwrite ?? false) }
            return try HTTP.json(OKResponse())
        }
    }

    static func sandbox(_ service: SandboxService, _ context: ServerRequestContext) async throws -> (String, any SandboxInstance) {
        let id = try HTTP.id(context)
        return (id, try await service.instance(id: id, keyID: context.apiKeyID))
    }

    /// Runs a file operation, letting the service mark the sandbox gone if its container died.
    static func run<T: Sendable>(_ service: SandboxService, _ id: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw await service.noteFailure(error, sandboxID: id)
        }
    }
}
