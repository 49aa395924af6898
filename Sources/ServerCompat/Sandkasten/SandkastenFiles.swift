import Foundation
import Hummingbird
import NIOCore
import Sandbox
import ServerCore
import Synchronization

/// Sandkasten's file routes: `fs/write` and `fs/upload` into a session, `fs/read` from a session
/// or a workspace. Content streams through in bounded chunks, each transfer in a turn of the
/// server's ``TransferGate``: a write is staged under a temporary name and renamed into place
/// once the whole body has arrived (a failed one leaves the target as it was), and a read's JSON
/// (`content_base64`) is written while the file is read.
extension SandkastenController {
    func registerFiles(_ routes: RouteTable) {
        let service = self.service
        let transfers = self.transfers
        routes.add(.post, "/v1/sessions/:id/fs/write", native: false) { request, context in
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxJSONBodyBytes {
                throw ServerError(.sandkastenInvalidRequest, "JSON bodies are limited to \(Self.maxJSONBodyBytes) bytes (max_bytes)")
            }
            let id = try HTTP.id(context)
            // The body streams into the session, so the session is looked up first.
            let sandbox = try await Self.session(service, id, context)
            try await transfers.run { try await Self.write(request.body, into: sandbox, service: service, id: id) }
            return try HTTP.json(OKResponse())
        }
        routes.add(.get, "/v1/sessions/:id/fs/read", native: false) { request, context in
            let asked = try HTTP.query(request, "path")
            let path = try SandkastenPath.resolve(asked)
            let limit = try Self.maxBytes(request)
            let id = try HTTP.id(context)
            let sandbox = try await Self.session(service, id, context)
            let slot = try await transfers.enter()
            do {
                let download = try await Self.fileOperation(service, id, path) {
                    try await sandbox.readFile(FileRead(path: path, length: UInt64(limit)))
                }
                return Self.readResponse(asked: asked, download, limit: limit) { slot.release() }
            } catch {
                slot.release()
                throw error
            }
        }
        routes.add(.post, "/v1/sessions/:id/fs/upload", native: false) { request, context in
            guard let boundary = MultipartForm.boundary(contentType: request.headers[.contentType]) else {
                throw ServerError(.sandkastenInvalidRequest, "upload needs a multipart/form-data body with a boundary")
            }
            let id = try HTTP.id(context)
            // Look the session up first: an unknown id is 404 whatever the body.
            let sandbox = try await Self.session(service, id, context)
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxUploadBytes {
                throw Self.uploadTooLarge()
            }
            let paths = try await transfers.run {
                try await Self.upload(request.body, boundary: boundary, into: sandbox, service: service, id: id)
            }
            return try HTTP.json(SandkastenUploadResult(paths: paths))
        }
    }

    func registerWorkspaceRead(_ routes: RouteTable) {
        let service = self.service
        let transfers = self.transfers
        routes.add(.get, "/v1/workspaces/:name/fs/read", native: false) { request, context in
            let name = try context.workspaceName()
            let asked = try HTTP.query(request, "path")
            let limit = try Self.maxBytes(request)
            let relative = try SandboxService.workspaceRelativePath(asked)
            let path = relative.isEmpty ? "/workspace" : "/workspace/" + relative
            let slot = try await transfers.enter()
            // The helper sandbox lives as long as the response is written; its lease removes it
            // afterwards, also when the response is dropped unwritten.
            let helper: WorkspaceHelperLease
            do {
                helper = try await service.openWorkspaceHelper(name: name, keyID: context.apiKeyID)
            } catch {
                slot.release()
                throw error
            }
            do {
                let download = try await Self.fileOperation(service, nil, path) {
                    try await helper.sandbox.readFile(FileRead(path: path, length: UInt64(limit)))
                }
                return Self.readResponse(asked: asked, download, limit: limit) {
                    await helper.release()
                    slot.release()
                }
            } catch {
                await helper.release()
                slot.release()
                throw error
            }
        }
    }

    // MARK: write and upload

    /// Streams an `fs/write` body into the session: staged beside its target when `path` comes
    /// first (as the SDK sends it), else in `/workspace` and moved once `path` is known.
    static func write(_ body: RequestBody, into sandbox: any SandboxInstance, service: SandboxService, id: String) async throws {
        let reader = SandkastenWriteBody(body: body, limit: maxJSONBodyBytes)
        var target: String?
        var staged: StagedFile?
        do {
            while let field = try await reader.nextField() {
                switch field {
                case .path(let raw):
                    guard target == nil else { throw SandkastenWriteBody<RequestBody>.invalid("path is given twice") }
                    target = try SandkastenPath.resolve(raw)
                case .text, .base64:
                    guard staged == nil else { throw ServerError(.sandkastenInvalidRequest, "give exactly one of text or content_base64") }
                    let write = FileWrite(path: target ?? "/workspace/content", mode: 0o644, createParents: true)
                    staged = try await fileOperation(service, id, write.path) {
                        try await sandbox.stageFile(write, contents: reader.content, stagingDirectory: target == nil ? "/workspace" : nil)
                    }
                }
            }
            guard let target else { throw ServerError(.sandkastenInvalidRequest, "path is required") }
            guard let file = staged else { throw ServerError(.sandkastenInvalidRequest, "give exactly one of text or content_base64") }
            let placed = file.path == target ? file : file.retargeted(to: target)
            staged = nil
            _ = try await fileOperation(service, id, target) { try await placed.commit(in: sandbox) }
        } catch {
            await staged?.discard(in: sandbox)
            throw error
        }
    }

    /// Streams an `fs/upload` form into the session: each file is staged as its part arrives and
    /// all are renamed into place once the form is whole. The `path` field (the folder) may come
    /// anywhere; files before it are staged in `/workspace` and moved.
    static func upload(
        _ body: RequestBody, boundary: String, into sandbox: any SandboxInstance, service: SandboxService, id: String
    ) async throws -> [String] {
        let form = try MultipartReader(body: body, boundary: boundary, limit: maxUploadBytes)
        var folder: String?
        var staged: [(file: StagedFile, name: String)] = []
        do {
            while let part = try await form.nextPart() {
                if part.name == "path", part.filename == nil {
                    var raw = String(decoding: try await form.collect(limit: 4096), as: UTF8.self)
                    while raw.count > 1, raw.hasSuffix("/") { raw.removeLast() }
                    // The first `path` field counts, as in Sandkasten.
                    if folder == nil { folder = try SandkastenPath.resolve(raw.isEmpty ? "/workspace" : raw, allowRoot: true) }
                    continue
                }
                guard part.name == "file" || part.name == "files", let filename = part.filename else { continue }
                guard staged.count < maxUploadFiles else {
                    throw ServerError(.sandkastenInvalidRequest, "at most \(maxUploadFiles) files per upload (max_files)")
                }
                let name = baseName(filename)
                guard !name.isEmpty, name != ".", !name.contains("..") else {
                    throw ServerError(.sandkastenInvalidRequest, "file name '\(filename)' is not usable")
                }
                let write = FileWrite(path: (folder ?? "/workspace") + "/" + name, mode: 0o644, createParents: true)
                let file = try await fileOperation(service, id, write.path) {
                    try await sandbox.stageFile(write, contents: form.content, stagingDirectory: folder == nil ? "/workspace" : nil)
                }
                staged.append((file, name))
            }
            guard !staged.isEmpty else { throw ServerError(.sandkastenInvalidRequest, "the upload has no file part (field file or files)") }
        } catch {
            for entry in staged { await entry.file.discard(in: sandbox) }
            if ServerError.from(error).code == .bodyTooLarge { throw uploadTooLarge() }
            throw error
        }
        let target = folder ?? "/workspace"
        var written: [String] = []
        for (index, entry) in staged.enumerated() {
            let path = target + "/" + entry.name
            let file = entry.file.path == path ? entry.file : entry.file.retargeted(to: path)
            do {
                _ = try await fileOperation(service, id, path) { try await file.commit(in: sandbox) }
            } catch {
                for rest in staged[(index + 1)...] { await rest.file.discard(in: sandbox) }
                throw error
            }
            written.append(path)
        }
        return written
    }

    static func uploadTooLarge() -> ServerError {
        ServerError(.sandkastenInvalidRequest, "uploads are limited to \(maxUploadBytes) bytes in all (max_bytes)")
    }

    // MARK: read

    /// `{"content_base64":"…","path":"…","truncated":…}` (the keys in the order the JSON
    /// encoder sorts them), the content encoded as the file is read. A read that fails midway
    /// cuts the response off, so a client never takes a part for the whole. `done` runs once
    /// the body is written or dropped.
    static func readResponse(
        asked: String, _ download: FileDownload, limit: Int, done: @escaping @Sendable () async -> Void
    ) -> Response {
        let truncated = download.info.size > UInt64(limit)
        let tail = ",\"path\":" + jsonString(asked) + ",\"truncated\":" + (truncated ? "true" : "false") + "}"
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        let onEnd = EndOnce(done)
        let body = ResponseBody { writer in
            do {
                try await writer.write(ByteBuffer(string: "{\"content_base64\":\""))
                var encoder = Base64StreamEncoder()
                var sent = 0
                for try await chunk in download.chunks where sent < limit {
                    let piece = chunk.prefix(limit - sent)
                    sent += piece.count
                    try await writer.write(ByteBuffer(bytes: encoder.encode(piece)))
                }
                try await writer.write(ByteBuffer(bytes: encoder.finish()))
                try await writer.write(ByteBuffer(string: "\"" + tail))
                try await writer.finish(nil)
            } catch {
                await onEnd.run()
                throw error
            }
            await onEnd.run()
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func jsonString(_ text: String) -> String {
        // A one-element array, so any encoder writes it; the brackets are cut off.
        let data = (try? HTTP.encoder.encode([text])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    static func maxBytes(_ request: Request) throws -> Int {
        let asked = try HTTP.optionalInt(request, "max_bytes") ?? 0
        guard (0...maxReadBytes).contains(asked) else {
            throw ServerError(.sandkastenInvalidRequest, "max_bytes must be between 0 and \(maxReadBytes), not \(asked)")
        }
        return asked == 0 ? defaultReadBytes : asked
    }

    /// Runs a file operation; a missing file is `FILE_NOT_FOUND` (a missing session was found earlier).
    static func fileOperation<T: Sendable>(
        _ service: SandboxService, _ id: String?, _ path: String,
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch {
            let failure = id == nil ? ServerError.from(error) : await service.noteFailure(error, sandboxID: id ?? "")
            if failure.code == .notFound { throw ServerError(.sandkastenFileNotFound, "file not found: \(path)", cause: failure) }
            throw failure
        }
    }

    static func baseName(_ filename: String) -> String {
        String(filename.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
    }
}

/// Base64 of a stream of chunks: whole groups of three bytes as they come, the rest with the
/// next chunk, the padding at the end.
struct Base64StreamEncoder {
    private var carry: [UInt8] = []

    mutating func encode(_ chunk: some Collection<UInt8>) -> [UInt8] {
        carry += chunk
        let whole = carry.count - carry.count % 3
        guard whole > 0 else { return [] }
        let encoded = Data(carry[..<whole]).base64EncodedData()
        carry.removeFirst(whole)
        return Array(encoded)
    }

    mutating func finish() -> [UInt8] {
        defer { carry = [] }
        return Array(Data(carry).base64EncodedData())
    }
}
