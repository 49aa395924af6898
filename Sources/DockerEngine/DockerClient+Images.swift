import Foundation
import HTTPTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension DockerClient {
    /// `GET /images/{name}/json`. A missing image is `notFound` (nothing is pulled).
    public func inspectImage(_ reference: String) async throws -> ImageInspect {
        try await requestJSON(.get, "/images/\(Self.imageSegment(reference))/json")
    }

    /// `GET /images/json`, e.g. with `DockerFilters.label("sandcastle.managed", "true")` or `["reference": ["sandcastle/*"]]`.
    public func listImages(all: Bool = false, filters: DockerFilters = DockerFilters()) async throws -> [ImageSummary] {
        try await requestJSON(.get, "/images/json", query: [("all", Self.bool(all)), ("filters", filters.queryValue)])
    }

    /// `DELETE /images/{name}`. `force` also removes an image used by stopped containers or with several tags.
    @discardableResult
    public func removeImage(_ reference: String, force: Bool = false, noPrune: Bool = false) async throws -> [ImageDeleteResponseItem] {
        let response = try await request(
            .delete, "/images/\(Self.imageSegment(reference))",
            query: [("force", Self.bool(force)), ("noprune", Self.bool(noPrune))])
        return try decode([ImageDeleteResponseItem].self, from: response, request: "DELETE /images/\(reference)")
    }

    /// `POST /images/{name}/tag`: gives `source` the name `repository:tag`.
    public func tagImage(_ source: String, repository: String, tag: String = "latest") async throws {
        try await request(.post, "/images/\(Self.imageSegment(source))/tag", query: [("repo", repository), ("tag", tag)])
    }

    /// `POST /images/create?fromSrc=-`: imports a root filesystem tarball as a single-layer image
    /// named `repository:tag` and returns its id.
    ///
    /// - Parameter changes: Dockerfile instructions applied to the image config, e.g.
    ///   `"ENV PATH=/usr/bin:/bin"`, `"LABEL sandcastle.managed=true"`, `"CMD [\"bash\"]"`.
    public func importImage(
        fromTarFile path: String, repository: String, tag: String = "latest", changes: [String] = [],
        message: String? = nil
    ) async throws -> String {
        var query: [(String, String?)] = [("fromSrc", "-"), ("repo", repository), ("tag", tag), ("message", message)]
        for change in changes { query.append(("changes", change)) }
        let response = try await stream(.post, "/images/create", query: query, body: .file(path: path), contentType: "application/x-tar")
        var imageID: String?
        for try await message in DockerJSONStream<ProgressMessage>(body: response.body, host: host) {
            if let error = message.errorMessage { throw DockerError(.server, "image import failed: \(error)") }
            if let status = message.status, status.hasPrefix("sha256:") { imageID = status }
        }
        guard let imageID else {
            throw DockerError(.invalidResponse, "image import of \(path) finished without reporting an image id")
        }
        return imageID
    }

    /// `POST /images/load`: loads a `docker save` tarball; returns the engine's "Loaded image…" lines.
    @discardableResult
    public func loadImage(fromTarFile path: String) async throws -> [String] {
        let response = try await stream(
            .post, "/images/load", query: [("quiet", "1")], body: .file(path: path),
            contentType: "application/x-tar")
        var loaded: [String] = []
        for try await message in DockerJSONStream<ProgressMessage>(body: response.body, host: host) {
            if let error = message.errorMessage { throw DockerError(.server, "image load failed: \(error)") }
            if let text = message.stream?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty { loaded.append(text) }
        }
        return loaded
    }

    /// `GET /images/{name}/get`: writes a `docker save` tarball of `reference` to `destination`.
    public func saveImage(_ reference: String, to destination: String) async throws {
        let response = try await stream(.get, "/images/\(Self.imageSegment(reference))/get")
        let fd = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DockerError(.fileSystem, "cannot create \(destination): \(String(cString: strerror(errno)))")
        }
        defer { _ = close(fd) }
        for try await chunk in DockerByteStream(body: response.body, host: host) {
            try writeAll(fd, chunk, path: destination)
        }
    }

    /// `POST /build` from a tar build context on disk (see ``TarWriter``), streaming the
    /// engine's progress lines to `output` as they arrive.
    ///
    /// A build error (a failing `RUN`, a bad instruction) throws `buildFailed` whose message
    /// contains the engine's error and the last lines of the build log.
    ///
    /// - Parameters:
    ///   - tags: `name:tag` references for the result.
    ///   - labels: labels added to the image (put `sandcastle.managed=true` here).
    ///   - pull: try to pull a newer base image; keep `false` when no registry is reachable.
    public func buildImage(
        contextTarFile path: String, tags: [String] = [], dockerfile: String = "Dockerfile",
        buildArgs: [String: String] = [:], labels: [String: String] = [:], noCache: Bool = false,
        pull: Bool = false, target: String? = nil, networkMode: String? = nil,
        output: (@Sendable (String) -> Void)? = nil
    ) async throws -> BuildResult {
        var query: [(String, String?)] = tags.map { ("t", $0) }
        query += [
            ("dockerfile", dockerfile), ("rm", "1"), ("forcerm", "1"), ("nocache", Self.bool(noCache)), ("pull", Self.bool(pull)),
            ("target", target), ("networkmode", networkMode),
            ("buildargs", buildArgs.isEmpty ? nil : jsonText(buildArgs)),
            ("labels", labels.isEmpty ? nil : jsonText(labels)),
        ]
        let response = try await stream(.post, "/build", query: query, body: .file(path: path), contentType: "application/x-tar")
        var log: [String] = []
        var partial = ""
        var imageID: String?
        for try await message in DockerJSONStream<ProgressMessage>(body: response.body, host: host) {
            if let text = message.stream ?? message.status.map({ $0 + "\n" }) {
                output?(text)
                // `stream` pieces are not always whole lines; keep lines whole in the log.
                partial += text
                while let newline = partial.firstIndex(of: "\n") {
                    log.append(String(partial[..<newline]))
                    partial = String(partial[partial.index(after: newline)...])
                }
            }
            if let id = message.auxID { imageID = id }
            if let error = message.errorMessage {
                if !partial.isEmpty { log.append(partial) }
                let tail = log.suffix(20).joined(separator: "\n")
                throw DockerError(
                    .buildFailed,
                    "image build failed: \(error.trimmingCharacters(in: .whitespacesAndNewlines))"
                        + (tail.isEmpty ? "" : "\n--- build log (last lines) ---\n\(tail)"))
            }
        }
        if !partial.isEmpty { log.append(partial) }
        if imageID == nil, let line = log.last(where: { $0.hasPrefix("Successfully built ") }) {
            imageID = String(line.dropFirst("Successfully built ".count)).trimmingCharacters(in: .whitespaces)
        }
        return BuildResult(imageID: imageID, log: log)
    }
}
