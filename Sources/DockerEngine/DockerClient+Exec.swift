extension DockerClient {
    /// `POST /containers/{id}/exec`: prepares `command` to run in a running container (stdout and
    /// stderr attached, no stdin, no TTY) and returns the exec's id. Nothing runs until
    /// ``startExec(id:)``.
    ///
    /// Sandcastle's sandboxes never use this (commands go to the runner over one attached
    /// channel); it is how other sandboxes run each command, and `sandcastle bench agent`
    /// measures it as their baseline.
    public func createExec(container: String, command: [String], environment: [String]? = nil, workingDir: String? = nil)
        async throws -> String
    {
        let config = ExecConfig(cmd: command, env: environment, workingDir: workingDir)
        let created: ExecCreateResponse = try await requestJSON(.post, "/containers/\(Self.segment(container))/exec", json: config)
        return created.id
    }

    /// `POST /exec/{id}/start` attached: runs the exec and returns its output once it ends (the
    /// engine closes the connection then). Then ``inspectExec(id:)`` has its exit code.
    public func startExec(id: String, timeout: Duration? = nil) async throws -> [StdStreamDemuxer.Frame] {
        let response = try await request(
            .post, "/exec/\(Self.segment(id))/start", json: ExecStartConfig(detach: false, tty: false), timeout: timeout)
        var demuxer = StdStreamDemuxer()
        demuxer.append(response.body)
        var frames: [StdStreamDemuxer.Frame] = []
        while let frame = try demuxer.next() { frames.append(frame) }
        if demuxer.bufferedByteCount > 0 {
            throw DockerError(.invalidResponse, "the output of exec \(id) ended inside a frame")
        }
        return frames
    }

    /// `GET /exec/{id}/json`.
    public func inspectExec(id: String) async throws -> ExecInspect {
        try await requestJSON(.get, "/exec/\(Self.segment(id))/json")
    }

    /// Create, start and inspect: one command run the way `docker exec` runs it.
    public func exec(container: String, command: [String]) async throws -> ExecOutput {
        let id = try await createExec(container: container, command: command)
        let frames = try await startExec(id: id)
        let inspected = try await inspectExec(id: id)
        guard let exitCode = inspected.exitCode, !inspected.running else {
            throw DockerError(.invalidResponse, "exec \(id) of \(command.first ?? "") has no exit code after its output ended")
        }
        return ExecOutput(
            stdout: frames.filter { $0.stream == .stdout }.flatMap(\.payload),
            stderr: frames.filter { $0.stream == .stderr }.flatMap(\.payload), exitCode: exitCode)
    }
}

/// The body of `POST /containers/{id}/exec`.
struct ExecConfig: Encodable {
    var cmd: [String]
    var env: [String]?
    var workingDir: String?
    var attachStdout = true
    var attachStderr = true

    enum CodingKeys: String, CodingKey {
        case cmd = "Cmd", env = "Env", workingDir = "WorkingDir", attachStdout = "AttachStdout", attachStderr = "AttachStderr"
    }
}

/// The body of `POST /exec/{id}/start`.
struct ExecStartConfig: Encodable {
    var detach: Bool
    var tty: Bool

    enum CodingKeys: String, CodingKey { case detach = "Detach", tty = "Tty" }
}

/// `POST /containers/{id}/exec` answer.
struct ExecCreateResponse: Decodable {
    var id: String

    enum CodingKeys: String, CodingKey { case id = "Id" }
}

/// What `GET /exec/{id}/json` reports (the fields we read).
public struct ExecInspect: Decodable, Sendable, Hashable {
    public var id: String
    public var running: Bool
    /// Nil while it runs.
    public var exitCode: Int32?
    public var pid: Int32?

    enum CodingKeys: String, CodingKey { case id = "ID", running = "Running", exitCode = "ExitCode", pid = "Pid" }
}

/// The output and exit code of one exec.
public struct ExecOutput: Sendable, Hashable {
    public var stdout: [UInt8]
    public var stderr: [UInt8]
    public var exitCode: Int32
}
