import Foundation
import HTTPTransport
import Sandbox
import Synchronization

/// A sandbox on E2B: processes and files through envd (Connect protocol, JSON codec).
public final class E2BSandbox: SandboxInstance {
    public let id: String
    let accessToken: String?
    let envd: HTTPClient
    let backend: E2BSandboxBackend
    /// When E2B will kill the sandbox, as far as this client has set it.
    private let expires: Mutex<ContinuousClock.Instant>

    init(id: String, accessToken: String?, envd: HTTPClient, backend: E2BSandboxBackend, expires: ContinuousClock.Instant) {
        self.id = id
        self.accessToken = accessToken
        self.envd = envd
        self.backend = backend
        self.expires = Mutex(expires)
    }

    // MARK: lifetime

    /// Sets the sandbox's lifetime to `seconds` from now (E2B kills it then).
    public func setTimeout(seconds: Int) async throws {
        try await backend.setTimeout(sandboxID: id, seconds: seconds)
        expires.withLock { $0 = ContinuousClock.now + .seconds(seconds) }
    }

    /// E2B kills a sandbox when its lifetime ends, even mid-command: a command whose timeout
    /// reaches past that first extends the lifetime to its timeout plus a minute, so a long step
    /// ends by its own timeout, never by the sandbox vanishing.
    private func extendLifetime(toCover timeoutMilliseconds: UInt32) async throws {
        guard timeoutMilliseconds > 0 else { return }
        let needed = ContinuousClock.now + .milliseconds(Int64(timeoutMilliseconds)) + Self.lifetimeMargin
        guard needed > expires.withLock({ $0 }) else { return }
        let seconds = Int((Int64(timeoutMilliseconds) + 999) / 1000) + Int(Self.lifetimeMargin.components.seconds)
        try await setTimeout(seconds: max(seconds, backend.timeoutSeconds))
    }

    static let lifetimeMargin = Duration.seconds(60)

    // MARK: processes

    /// No persistent shell on E2B: each command line is its own `bash -l -c`, as the SDK runs it.
    public func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        try command.validate()
        let budget = OutputBudget(maxOutputBytes: command.maxOutputBytes)
        switch command.program {
        case .shell(let line):
            return try await start(
                ["cmd": "/bin/bash", "args": ["-l", "-c", line]], pty: nil, stdin: false,
                timeoutMilliseconds: command.timeoutMilliseconds, budget: budget)
        case .arguments(let arguments):
            var config: [String: Any] = ["cmd": arguments[0], "args": Array(arguments.dropFirst())]
            if !command.environment.isEmpty { config["envs"] = command.environment }
            if let directory = command.workingDirectory, !directory.isEmpty { config["cwd"] = directory }
            return try await start(
                config, pty: nil, stdin: command.openStdin, timeoutMilliseconds: command.timeoutMilliseconds,
                budget: budget)
        }
    }

    public func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess {
        try request.validate()
        let arguments = request.arguments.isEmpty ? ["/bin/bash", "-i", "-l"] : request.arguments
        let envs = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"].merging(request.environment) { _, own in own }
        var config: [String: Any] = ["cmd": arguments[0], "args": Array(arguments.dropFirst()), "envs": envs]
        if let directory = request.workingDirectory, !directory.isEmpty { config["cwd"] = directory }
        let size = ["cols": Int(request.size.columns), "rows": Int(request.size.rows)]
        return try await start(config, pty: ["size": size], stdin: true, timeoutMilliseconds: 0, budget: OutputBudget(limit: .max))
    }

    /// `Process.Start`: a server stream of start/data/end events, ended by the end-of-stream message.
    private func start(
        _ config: [String: Any], pty: [String: Any]?, stdin: Bool, timeoutMilliseconds: UInt32,
        budget initialBudget: OutputBudget
    ) async throws -> SandboxProcess {
        try await extendLifetime(toCover: timeoutMilliseconds)
        var message: [String: Any] = ["process": config, "stdin": stdin]
        if let pty { message["pty"] = pty }
        let json = Array(try JSONSerialization.data(withJSONObject: message))
        var headers = envdHeaders(contentType: "application/connect+json")
        headers.add("Keepalive-Ping-Interval", "50")
        // On Start this is also the process's lifetime in envd.
        if timeoutMilliseconds > 0 { headers.add("Connect-Timeout-Ms", String(timeoutMilliseconds)) }
        let envelope =
            [
                0, UInt8(json.count >> 24 & 0xFF), UInt8(json.count >> 16 & 0xFF), UInt8(json.count >> 8 & 0xFF),
                UInt8(json.count & 0xFF),
            ] + json
        let response: HTTPStreamingResponse
        do {
            response = try await envd.stream(
                HTTPRequest(
                    method: .post, path: "/process.Process/Start", headers: headers,
                    body: .bytes(envelope)))
        } catch {
            throw SandboxError(.unavailable, "sandbox \(id)'s envd cannot be reached: \(error)", cause: error)
        }
        guard response.status == 200 else {
            let body = (try? await response.collect(upTo: 1 << 20)) ?? []
            throw envdError(HTTPResponse(status: response.status, headers: response.headers, body: body), doing: "start a process")
        }
        let control = EnvdProcessControl(sandbox: self, isPTY: pty != nil)
        let (events, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        let sandboxID = id
        let started = ContinuousClock.now
        let reader = Task {
            var buffer: [UInt8] = []
            var budget = initialBudget
            do {
                for try await chunk in response.body {
                    buffer += chunk
                    while buffer.count >= 5 {
                        let length = Int(buffer[1]) << 24 | Int(buffer[2]) << 16 | Int(buffer[3]) << 8 | Int(buffer[4])
                        guard buffer.count >= 5 + length else { break }
                        let flags = buffer[0]
                        let payload = Data(buffer[5..<5 + length])
                        buffer.removeFirst(5 + length)
                        let object = (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any] ?? [:]
                        if flags & 0x02 != 0 {
                            try Self.finishStream(object, continuation: continuation, started: started, budget: budget, sandboxID: sandboxID)
                            return
                        }
                        guard let event = object["event"] as? [String: Any] else { continue }
                        if let start = event["start"] as? [String: Any] {
                            let value = Self.uint32(start["pid"]) ?? 0
                            control.pid.withLock { $0 = value }
                            continuation.yield(.started(pid: Int32(clamping: value)))
                        } else if let data = event["data"] as? [String: Any] {
                            if let text = data["stdout"] as? String ?? data["pty"] as? String, let bytes = Data(base64Encoded: text),
                                let kept = budget.admit(bytes)
                            {
                                continuation.yield(.output(.stdout, kept))
                            } else if let text = data["stderr"] as? String, let bytes = Data(base64Encoded: text),
                                let kept = budget.admit(bytes)
                            {
                                continuation.yield(.output(.stderr, kept))
                            }
                        } else if let end = event["end"] as? [String: Any] {
                            continuation.yield(.finished(budget.stamp(Self.result(end, started: started))))
                        }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: SandboxError(.sandboxGone, "lost sandbox \(sandboxID)'s process stream: \(error)", cause: error))
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return SandboxProcess(events: ProcessEvents(events), control: control)
    }

    /// The end-of-stream message: `{}`, or the error that ended the stream.
    private static func finishStream(
        _ object: [String: Any], continuation: AsyncThrowingStream<ProcessEvent, any Error>.Continuation,
        started: ContinuousClock.Instant, budget: OutputBudget, sandboxID: String
    ) throws {
        guard let error = object["error"] as? [String: Any] else {
            continuation.finish()
            return
        }
        let code = error["code"] as? String ?? "unknown"
        let message = error["message"] as? String ?? code
        if code == "deadline_exceeded" {
            // envd kills the process when Connect-Timeout-Ms runs out and sends no end event.
            let elapsed = ContinuousClock.now - started
            continuation.yield(
                .finished(
                    budget.stamp(
                        ProcessResult(
                            exitCode: 137, signal: 9, duration: elapsed,
                            timedOut: true))))
            continuation.finish()
            return
        }
        continuation.finish(throwing: connectError(code: code, message: message, sandboxID: sandboxID))
    }

    static func result(_ end: [String: Any], started: ContinuousClock.Instant) -> ProcessResult {
        let exitCode = Int32(clamping: (end["exitCode"] as? Int) ?? 0)
        let status = end["status"] as? String ?? ""
        var signal: Int32 = 0
        if status.hasPrefix("signal: ") {
            let names: [String: Int32] = ["killed": 9, "terminated": 15, "interrupt": 2, "hangup": 1, "aborted": 6, "broken pipe": 13]
            signal = names[String(status.dropFirst("signal: ".count))] ?? 0
        }
        let code = signal != 0 ? 128 + signal : exitCode
        return ProcessResult(exitCode: code, signal: signal, duration: ContinuousClock.now - started)
    }

    static func uint32(_ value: Any?) -> UInt32? {
        if let number = value as? Int { return UInt32(clamping: number) }
        if let text = value as? String { return UInt32(text) }
        return nil
    }

    // MARK: files

    /// Uploads as `application/octet-stream` (envd ≥ 0.5.7), which envd streams to disk. Large
    /// contents are spooled to a temporary file first, so they are never held in memory whole.
    /// E2B has no append and no file mode: a mode other than the default is set with `chmod`.
    public func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] {
        try SandboxInput.checkPath(request.path)
        if request.append { throw SandboxError(.unsupported, "E2B cannot append to a file") }
        let upload = try await UploadSpool.gather(contents)
        defer { upload.discard() }
        var headers = envdHeaders(contentType: "application/octet-stream")
        headers.remove("Connect-Protocol-Version")
        let response = try await send(
            HTTPRequest(
                method: .post, path: HTTPRequest.path("/files", query: [("path", request.path)]),
                headers: headers, body: upload.body, timeout: backend.configuration.requestTimeout),
            doing: "write \(request.path)")
        guard response.status == 200 else { throw envdError(response, doing: "write \(request.path)") }
        if request.mode != FileWrite.defaultMode {
            let chmod = try await run(arguments: ["chmod", String(request.mode & 0o7777, radix: 8), "--", request.path])
            guard chmod.exitCode == 0 else {
                throw SandboxError(.permissionDenied, "set the mode of \(request.path): \(chmod.stderrText)")
            }
        }
        return try await stat(path: request.path)
    }

    public func readFile(_ request: FileRead) async throws -> FileDownload {
        try SandboxInput.checkPath(request.path)
        if request.offset != 0 || (request.length ?? 0) != 0 { throw SandboxError(.unsupported, "E2B reads whole files only") }
        let info = try await stat(path: request.path)
        guard info.kind != .directory else { throw SandboxError(.wrongFileKind, "\(request.path) is a directory, not a file") }
        var headers = envdHeaders(contentType: nil)
        headers.remove("Connect-Protocol-Version")
        let response: HTTPStreamingResponse
        do {
            response = try await envd.stream(
                HTTPRequest(
                    method: .get, path: HTTPRequest.path("/files", query: [("path", request.path)]),
                    headers: headers))
        } catch {
            throw SandboxError(.unavailable, "sandbox \(id)'s envd cannot be reached: \(error)", cause: error)
        }
        guard response.status == 200 else {
            let body = (try? await response.collect(upTo: 1 << 20)) ?? []
            throw envdError(HTTPResponse(status: response.status, headers: response.headers, body: body), doing: "read \(request.path)")
        }
        return FileDownload(info: info, chunks: response.body)
    }

    public func stat(path: String) async throws -> FileInfo {
        try SandboxInput.checkPath(path)
        let object = try await unary("filesystem.Filesystem/Stat", ["path": path])
        guard let entry = object["entry"] as? [String: Any] else { throw SandboxError(.internal, "envd's Stat answer has no entry") }
        return Self.fileInfo(entry)
    }

    public func list(path: String) async throws -> [FileInfo] {
        try SandboxInput.checkPath(path)
        let object = try await unary("filesystem.Filesystem/ListDir", ["path": path, "depth": 1])
        return (object["entries"] as? [[String: Any]] ?? []).map(Self.fileInfo)
    }

    /// envd always creates parents; an existing directory is fine with `parents` (like `mkdir -p`).
    public func makeDirectory(path: String, parents: Bool) async throws {
        try SandboxInput.checkPath(path)
        do {
            _ = try await unary("filesystem.Filesystem/MakeDir", ["path": path])
        } catch let error as SandboxError where error.code == .alreadyExists && parents {
            guard try await stat(path: path).kind == .directory else { throw error }
        }
    }

    /// envd removes recursively; without `recursive` a non-empty directory is refused here first.
    public func remove(path: String, recursive: Bool) async throws {
        try SandboxInput.checkPath(path)
        if !recursive, try await stat(path: path).kind == .directory, !(try await list(path: path)).isEmpty {
            throw SandboxError(.invalidArgument, "\(path) is a non-empty directory; remove it recursively")
        }
        _ = try await unary("filesystem.Filesystem/Remove", ["path": path])
    }

    public func move(from: String, to: String, overwrite: Bool) async throws {
        try SandboxInput.checkPath(from)
        try SandboxInput.checkPath(to)
        if !overwrite, (try? await stat(path: to)) != nil { throw SandboxError(.alreadyExists, "\(to) exists") }
        _ = try await unary("filesystem.Filesystem/Move", ["source": from, "destination": to])
    }

    public func destroy() async throws {
        try await backend.kill(id)
    }

    static func fileInfo(_ entry: [String: Any]) -> FileInfo {
        let kind: FileKind =
            switch entry["type"] as? String {
            case "FILE_TYPE_FILE": .file
            case "FILE_TYPE_DIRECTORY": .directory
            case "FILE_TYPE_SYMLINK": .symlink
            default: .other
            }
        let size = (entry["size"] as? String).flatMap(UInt64.init) ?? (entry["size"] as? Int).map { UInt64(max(0, $0)) } ?? 0
        var modified: Int64 = 0
        if let text = entry["modifiedTime"] as? String,
            let date = (try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
                ?? (try? Date(text, strategy: Date.ISO8601FormatStyle()))
        {
            modified = Int64(date.timeIntervalSince1970 * 1e9)
        }
        return FileInfo(
            name: entry["name"] as? String ?? "", path: entry["path"] as? String ?? "", kind: kind, size: size,
            mode: UInt32(clamping: (entry["mode"] as? Int) ?? 0) & 0o7777, modifiedNanoseconds: modified,
            symlinkTarget: entry["symlinkTarget"] as? String ?? "")
    }

    // MARK: transport

    private func envdHeaders(contentType: String?) -> HTTPHeaders {
        var headers: HTTPHeaders = ["E2b-Sandbox-Id": id, "E2b-Sandbox-Port": "49983", "Connect-Protocol-Version": "1"]
        if let accessToken { headers.add("X-Access-Token", accessToken) }
        if let contentType { headers.add("Content-Type", contentType) }
        return headers
    }

    /// A unary Connect call with a JSON body; answers the decoded JSON object.
    func unary(_ method: String, _ message: [String: Any]) async throws -> [String: Any] {
        let timeout = backend.configuration.requestTimeout
        var headers = envdHeaders(contentType: "application/json")
        headers.add("Connect-Timeout-Ms", String(Int(timeout.components.seconds * 1000)))
        let body = Array(try JSONSerialization.data(withJSONObject: message))
        let response = try await send(
            HTTPRequest(method: .post, path: "/" + method, headers: headers, body: .bytes(body), timeout: timeout),
            doing: method)
        guard response.status == 200 else { throw envdError(response, doing: method) }
        return (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
    }

    private func send(_ request: HTTPRequest, doing what: String) async throws -> HTTPResponse {
        do {
            return try await envd.send(request)
        } catch {
            throw SandboxError(.unavailable, "sandbox \(id)'s envd cannot be reached to \(what): \(error)", cause: error)
        }
    }

    /// A failed envd answer: a Connect error (string `code`) or a plain HTTP one (from the edge,
    /// or `/files`), with E2B's message.
    private func envdError(_ response: HTTPResponse, doing what: String) -> SandboxError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let message = (object?["message"] as? String) ?? (response.bodyText.isEmpty ? "HTTP \(response.status)" : response.bodyText)
        if let code = object?["code"] as? String { return Self.connectError(code: code, message: "\(what): \(message)", sandboxID: id) }
        switch response.status {
        case 502 where message.contains("was not found"):
            return SandboxError(.sandboxGone, "sandbox \(id) is gone (killed or its timeout ran out): \(message)")
        case 400: return SandboxError(.invalidArgument, "\(what): \(message)")
        case 401: return SandboxError(.unauthorized, "\(what): \(message)")
        case 403: return SandboxError(.permissionDenied, "\(what): \(message)")
        case 404: return SandboxError(.notFound, "\(what): \(message)")
        case 429: return SandboxError(.rateLimited, "\(what): \(message)")
        case 507: return SandboxError(.noSpace, "\(what): \(message)")
        default: return SandboxError(.unavailable, "\(what) failed with HTTP \(response.status): \(message)")
        }
    }

    static func connectError(code: String, message: String, sandboxID: String) -> SandboxError {
        switch code {
        case "not_found": return SandboxError(.notFound, message)
        case "already_exists": return SandboxError(.alreadyExists, message)
        case "permission_denied": return SandboxError(.permissionDenied, message)
        case "invalid_argument", "failed_precondition", "out_of_range": return SandboxError(.invalidArgument, message)
        case "unauthenticated": return SandboxError(.unauthorized, message)
        case "resource_exhausted": return SandboxError(.rateLimited, message)
        case "deadline_exceeded": return SandboxError(.timeout, message)
        case "unimplemented": return SandboxError(.unsupported, message)
        case "canceled": return SandboxError(.cancelled, message)
        case "unavailable" where message.contains("was not found"): return SandboxError(.sandboxGone, "sandbox \(sandboxID) is gone: \(message)")
        case "unavailable": return SandboxError(.unavailable, message)
        default: return SandboxError(.internal, "\(code): \(message)")
        }
    }
}

/// A process's controls as envd calls, addressed by the pid its `start` event named.
final class EnvdProcessControl: ProcessControl {
    let sandbox: E2BSandbox
    let isPTY: Bool
    /// Set by the event reader once envd reports the start.
    let pid = Mutex<UInt32?>(nil)

    init(sandbox: E2BSandbox, isPTY: Bool) {
        self.sandbox = sandbox
        self.isPTY = isPTY
    }

    private var selector: [String: Any] {
        get throws {
            guard let target = pid.withLock({ $0 }) else { throw SandboxError(.invalidArgument, "the process has not started yet") }
            return ["pid": Int(target)]
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        let key = isPTY ? "pty" : "stdin"
        _ = try await sandbox.unary("process.Process/SendInput", ["process": try selector, "input": [key: Data(bytes).base64EncodedString()]])
    }

    func closeInput() async throws {
        _ = try await sandbox.unary("process.Process/CloseStdin", ["process": try selector])
    }

    func resize(_ size: TerminalSize) async throws {
        _ = try await sandbox.unary(
            "process.Process/Update",
            ["process": try selector, "pty": ["size": ["cols": Int(size.columns), "rows": Int(size.rows)]]])
    }

    /// envd names only SIGKILL and SIGTERM.
    func signal(_ number: Int32) async throws {
        let target = try selector
        guard number == 9 || number == 15 else {
            throw SandboxError(.unsupported, "E2B can only send SIGKILL or SIGTERM, not signal \(number)")
        }
        _ = try await sandbox.unary("process.Process/SendSignal", ["process": target, "signal": number == 9 ? "SIGNAL_SIGKILL" : "SIGNAL_SIGTERM"])
    }

    func cancel() async throws {
        _ = try await sandbox.unary("process.Process/SendSignal", ["process": try selector, "signal": "SIGNAL_SIGKILL"])
    }
}
