import HTTPTransport

extension DockerClient {
    /// `POST /containers/create`: creates a container from `config` (its `hostConfig` and
    /// `networkingConfig` included) and returns its id. A missing image is ``DockerError/Code-swift.struct/notFound``
    /// (nothing is pulled); a taken name is `conflict`.
    public func createContainer(name: String? = nil, config: ContainerConfig) async throws -> String {
        let response: ContainerCreateResponse = try await requestJSON(.post, "/containers/create", query: [("name", name)], json: config)
        return response.id
    }

    /// `POST /containers/{id}/start`. Starting a running container is not an error.
    public func startContainer(id: String) async throws {
        try await request(.post, "/containers/\(Self.segment(id))/start", accept: [304])
    }

    /// `POST /containers/{id}/stop`: sends the stop signal, then SIGKILL after `timeout` seconds
    /// (the container's `StopTimeout` when `nil`). Stopping a stopped container is not an error.
    public func stopContainer(id: String, timeout: Int? = nil) async throws {
        let wait = Duration.seconds(timeout ?? 10)
        try await request(
            .post, "/containers/\(Self.segment(id))/stop", query: [("t", timeout.map(String.init))],
            timeout: requestTimeout + wait, accept: [304])
    }

    /// `POST /containers/{id}/kill` with `signal` (name like `SIGTERM` or number). Throws
    /// `notRunning` if the container is not running.
    public func killContainer(id: String, signal: String = "SIGKILL") async throws {
        try await request(.post, "/containers/\(Self.segment(id))/kill", query: [("signal", signal)])
    }

    /// `POST /containers/{id}/restart`.
    public func restartContainer(id: String, timeout: Int? = nil) async throws {
        let wait = Duration.seconds(timeout ?? 10)
        try await request(
            .post, "/containers/\(Self.segment(id))/restart", query: [("t", timeout.map(String.init))],
            timeout: requestTimeout + wait)
    }

    /// `POST /containers/{id}/pause` (freezes every process via the cgroup freezer).
    public func pauseContainer(id: String) async throws {
        try await request(.post, "/containers/\(Self.segment(id))/pause")
    }

    /// `POST /containers/{id}/unpause`.
    public func unpauseContainer(id: String) async throws {
        try await request(.post, "/containers/\(Self.segment(id))/unpause")
    }

    /// `DELETE /containers/{id}`; `force` kills a running container first, `removeVolumes`
    /// also removes its anonymous volumes.
    public func removeContainer(id: String, force: Bool = false, removeVolumes: Bool = false) async throws {
        try await request(
            .delete, "/containers/\(Self.segment(id))",
            query: [("force", Self.bool(force)), ("v", Self.bool(removeVolumes))])
    }

    /// `GET /containers/{id}/json`.
    public func inspectContainer(id: String) async throws -> ContainerInspect {
        try await requestJSON(.get, "/containers/\(Self.segment(id))/json")
    }

    /// `GET /containers/{id}/top`: the processes running in a container, as `ps` sees them.
    public func topContainer(id: String, psArguments: String? = nil) async throws -> ContainerTop {
        try await requestJSON(.get, "/containers/\(Self.segment(id))/top", query: [("ps_args", psArguments)])
    }

    /// `GET /containers/json`; `all` includes stopped containers.
    public func listContainers(all: Bool = true, filters: DockerFilters = DockerFilters()) async throws -> [ContainerSummary] {
        try await requestJSON(.get, "/containers/json", query: [("all", Self.bool(all)), ("filters", filters.queryValue)])
    }

    /// `POST /containers/{id}/wait?condition=`: blocks (without a timeout) until the condition
    /// holds, then returns the exit status. Cancel the task to stop waiting.
    public func waitContainer(id: String, condition: WaitCondition = .notRunning) async throws -> ContainerWaitResponse {
        let path = try await versionedPath("/containers/\(Self.segment(id))/wait", query: [("condition", condition.rawValue)])
        let response: HTTPResponse
        do {
            // Streamed rather than sent so that no request timeout applies: waits can last hours.
            let streaming = try await http.stream(HTTPRequest(method: .post, path: path))
            response = HTTPResponse(status: streaming.status, headers: streaming.headers, body: try await streaming.collect(upTo: 1 << 20))
        } catch let error as HTTPTransportError {
            throw DockerError.fromTransport(error, host: host)
        }
        guard response.isSuccess else {
            throw DockerError.fromResponse(status: response.status, body: response.body, request: "POST /containers/\(id)/wait")
        }
        return try decode(ContainerWaitResponse.self, from: response, request: "POST /containers/\(id)/wait")
    }

    /// `POST /containers/{id}/attach` upgraded to a raw stream. Without a TTY the inbound bytes
    /// are multiplexed: split them with ``StdStreamDemuxer``. Attach before start to see all output.
    /// `logs` replays output produced before attaching.
    public func attachContainer(
        id: String, stdin: Bool = true, stdout: Bool = true, stderr: Bool = true,
        logs: Bool = false, detachKeys: String? = nil
    ) async throws -> UpgradedStream {
        let path = try await versionedPath(
            "/containers/\(Self.segment(id))/attach",
            query: [
                ("stream", "1"), ("stdin", Self.bool(stdin)), ("stdout", Self.bool(stdout)), ("stderr", Self.bool(stderr)),
                ("logs", Self.bool(logs)), ("detachKeys", detachKeys),
            ])
        do {
            return try await http.upgrade(HTTPRequest(method: .post, path: path, timeout: requestTimeout))
        } catch let error as HTTPTransportError {
            throw DockerError.fromTransport(error, host: host)
        }
    }

    /// `GET /containers/{id}/logs`, streamed frame by frame.
    ///
    /// - Parameters:
    ///   - follow: keep streaming new output until the container stops.
    ///   - tail: only the last `tail` lines.
    ///   - since: Unix seconds.
    ///   - tty: whether the container has a TTY (its output is then one raw stdout stream);
    ///     `nil` inspects the container to find out.
    public func containerLogs(
        id: String, stdout: Bool = true, stderr: Bool = true, follow: Bool = false, tail: Int? = nil,
        since: Int64? = nil, timestamps: Bool = false, tty: Bool? = nil
    ) async throws -> DockerLogStream {
        let isTTY: Bool
        if let tty { isTTY = tty } else { isTTY = try await inspectContainer(id: id).config?.tty ?? false }
        let response = try await stream(
            .get, "/containers/\(Self.segment(id))/logs",
            query: [
                ("stdout", Self.bool(stdout)), ("stderr", Self.bool(stderr)), ("follow", Self.bool(follow)),
                ("tail", tail.map(String.init)), ("since", since.map(String.init)), ("timestamps", Self.bool(timestamps)),
            ])
        return DockerLogStream(body: response.body, raw: isTTY, host: host)
    }

    /// `GET /containers/{id}/stats?stream=false`: one sample.
    public func containerStats(id: String) async throws -> ContainerStats {
        try await requestJSON(.get, "/containers/\(Self.segment(id))/stats", query: [("stream", "0")])
    }
}

/// Output frames of a container's logs, demultiplexed (or raw stdout for a TTY container).
public struct DockerLogStream: AsyncSequence, Sendable {
    public typealias Element = StdStreamDemuxer.Frame

    let body: AsyncThrowingStream<[UInt8], any Error>
    let raw: Bool
    let host: DockerHost

    public struct AsyncIterator: AsyncIteratorProtocol {
        var body: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        var demuxer = StdStreamDemuxer()
        let raw: Bool
        let host: DockerHost

        public mutating func next() async throws -> StdStreamDemuxer.Frame? {
            while true {
                if !raw, let frame = try demuxer.next() { return frame }
                let chunk: [UInt8]?
                do {
                    chunk = try await body.next()
                } catch let error as HTTPTransportError {
                    throw DockerError.fromTransport(error, host: host)
                }
                guard let chunk else {
                    if demuxer.bufferedByteCount > 0 {
                        throw DockerError(.invalidResponse, "log stream ended inside a frame")
                    }
                    return nil
                }
                if raw { return StdStreamDemuxer.Frame(stream: .stdout, payload: chunk) }
                demuxer.append(chunk)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: body.makeAsyncIterator(), raw: raw, host: host)
    }
}
