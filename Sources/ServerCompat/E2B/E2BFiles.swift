import Hummingbird
import NIOCore
import Sandbox
import ServerCore

/// envd's `/files`: downloads and uploads (multipart forms and raw octet-stream bodies), streamed
/// between the client and the sandbox in bounded chunks, each in a turn of the server's
/// ``TransferGate``.
extension E2BEnvd {
    func download(_ request: Request) async throws -> Response {
        let sandbox = try await sandbox(request)
        let path = try path(request.uri.queryParameters.get("path").map { String($0) })
        let slot = try await transfers.enter()
        let download: FileDownload
        do {
            download = try await sandbox.instance.readFile(FileRead(path: path))
        } catch {
            slot.release()
            let failure = await translate(error, sandbox: sandbox)
            if let connectError = failure as? ConnectError, connectError.code == .notFound {
                throw E2BFilesError(.notFound, "path '\(path)' does not exist")
            }
            throw failure
        }
        return HTTP.download(download, releasing: slot)
    }

    /// Each file is staged under a temporary name and renamed into place only once the whole
    /// body has arrived, so a failed or cut-off upload leaves every target as it was. As in envd,
    /// the `path` parameter names the file (a second file part for it is refused), else each
    /// part's filename does.
    func upload(_ request: Request) async throws -> Response {
        let sandbox = try await sandbox(request)
        let contentType = request.headers[.contentType] ?? "application/octet-stream"
        let queryPath = request.uri.queryParameters.get("path").map { String($0) }
        if let encoding = request.headers[.contentEncoding], encoding.lowercased() != "identity" {
            throw E2BFilesError(.badRequest, "Content-Encoding \(encoding) is not supported; upload without gzip")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxUploadBytes {
            throw tooLarge()
        }
        let slot = try await transfers.enter()
        defer { slot.release() }
        var staged: [StagedFile] = []
        do {
            if contentType.lowercased().hasPrefix("multipart/form-data") {
                guard let boundary = MultipartForm.boundary(contentType: contentType) else {
                    throw E2BFilesError(.badRequest, "the multipart body has no boundary")
                }
                let form = try MultipartReader(body: request.body, boundary: boundary, limit: maxUploadBytes)
                var targets: Set<String> = []
                while let part = try await form.nextPart() {
                    guard part.name == "file" || part.filename != nil else { continue }
                    guard let raw = queryPath ?? part.filename else {
                        throw E2BFilesError(.badRequest, "a file part has no filename and there is no path parameter")
                    }
                    let target = try path(raw)
                    guard targets.insert(target).inserted else {
                        throw E2BFilesError(.badRequest, "you cannot upload multiple files to the same path '\(target)' in one upload request")
                    }
                    staged.append(try await sandbox.instance.stageFile(FileWrite(path: target), contents: form.content))
                }
                guard !staged.isEmpty else { throw E2BFilesError(.badRequest, "the form has no file part") }
            } else {
                guard let queryPath else { throw E2BFilesError(.badRequest, "an octet-stream upload needs the path parameter") }
                let target = try path(queryPath)
                staged.append(
                    try await sandbox.instance.stageFile(
                        FileWrite(path: target), contents: UploadChunks(body: request.body, limit: maxUploadBytes)))
            }
        } catch {
            for file in staged { await file.discard(in: sandbox.instance) }
            throw await uploadError(error, sandbox: sandbox)
        }
        var written: [UploadedEntry] = []
        for (index, file) in staged.enumerated() {
            do {
                let info = try await file.commit(in: sandbox.instance)
                written.append(UploadedEntry(path: info.path, name: info.name, type: "file"))
            } catch {
                for rest in staged[(index + 1)...] { await rest.discard(in: sandbox.instance) }
                throw await uploadError(error, sandbox: sandbox)
            }
        }
        return try E2BControlPlane.json(written)
    }

    /// An upload's failure in envd's words: 413 over the limit, 400 for a malformed body.
    private func uploadError(_ error: any Error, sandbox: ResolvedSandbox) async -> any Error {
        if error is E2BFilesError { return error }
        let serverError = ServerError.from(error)
        if serverError.code == .bodyTooLarge { return tooLarge() }
        if serverError.code == .invalidInput { return E2BFilesError(.badRequest, serverError.message) }
        return await translate(error, sandbox: sandbox)
    }

    private func tooLarge() -> E2BFilesError {
        E2BFilesError(.contentTooLarge, "an upload may have at most \(maxUploadBytes) bytes (max_upload_bytes)")
    }

    struct UploadedEntry: Encodable {
        var path: String
        var name: String
        var type: String
    }
}
