import CCurl
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A raw bidirectional byte stream obtained by upgrading an HTTP/1.1 connection, e.g. Docker's
/// `POST /containers/{id}/attach` with `Upgrade: tcp` (answered with 101, or 200 by engines
/// that hijack without switching protocols).
///
/// Each stream owns one connection and one I/O thread. Writes are attempted directly from the
/// caller first and only queued for the I/O thread when the socket would block, so a small
/// write costs one lock and one `send`. Closing happens on ``close()`` or when the last
/// reference to the stream goes away.
public final class UpgradedStream: Sendable {
    /// The status that accepted the upgrade: 101, or 200 for a hijacked connection.
    public let status: Int
    /// The response headers of the upgrade.
    public let headers: HTTPHeaders
    /// Bytes from the peer, including any that arrived together with the response head.
    /// Finishes when the peer closes its side (or after ``close()``); throws ``HTTPTransportError``
    /// on a transport failure. Single consumer: cancelling the task that iterates it ends it for
    /// good (later inbound data is read and discarded so the peer never blocks).
    public let inbound: AsyncThrowingStream<[UInt8], any Error>

    private let core: UpgradeCore

    init(core: UpgradeCore, status: Int, headers: HTTPHeaders) {
        self.core = core
        self.status = status
        self.headers = headers
        self.inbound = core.channel.makeStream()
    }

    deinit {
        core.close()
    }

    /// Writes `bytes` contiguously, after the bytes of every earlier `write` call, and returns
    /// once they have been handed to the socket. Throws `closed` after ``close()``/``closeWrite()``
    /// or once the connection failed.
    public func write(_ bytes: [UInt8]) async throws {
        try await core.write(bytes)
    }

    /// Half-closes: the peer reads end-of-file once earlier writes are flushed; ``inbound`` keeps
    /// delivering. (Over TLS this shuts down the TCP write side without a TLS close_notify.)
    public func closeWrite() {
        core.closeWrite()
    }

    /// Closes the connection. ``inbound`` finishes; pending and later writes throw `closed`.
    public func close() {
        core.close()
    }
}

extension HTTPClient {
    /// Sends `request` with `Connection: Upgrade` and `Upgrade: tcp` (unless the request sets
    /// its own) on a dedicated connection and, once the server accepts with 101 or 200,
    /// returns the raw stream.
    ///
    /// The request's `timeout` bounds connecting plus receiving the response head (default 60 s).
    /// A body must be `.bytes` or `.none`. Any other status throws ``HTTPTransportError`` with
    /// code `upgradeRejected` and the server's ``HTTPTransportError/response``.
    public func upgrade(_ request: HTTPRequest) async throws -> UpgradedStream {
        guard request.path.hasPrefix("/") else {
            throw HTTPTransportError(.invalidRequest, "request path must start with '/': \(request.path)")
        }
        let body: [UInt8]
        switch request.body {
        case .none: body = []
        case .bytes(let bytes): body = bytes
        case .file: throw HTTPTransportError(.invalidRequest, "an upgrade request cannot stream a file body")
        }
        var headers = request.headers
        if headers["Connection"] == nil { headers["Connection"] = "Upgrade" }
        if headers["Upgrade"] == nil { headers["Upgrade"] = "tcp" }
        if headers["User-Agent"] == nil, let userAgent = configuration.userAgent { headers["User-Agent"] = userAgent }
        if !body.isEmpty || ![HTTPMethod.get, .head].contains(request.method) {
            headers["Content-Length"] = String(body.count)
        }
        var head = "\(request.method) \(endpoint.basePath)\(request.path) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\n"
        for field in headers {
            guard !field.name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                !field.value.contains(where: { $0 == "\r" || $0 == "\n" })
            else {
                throw HTTPTransportError(.invalidRequest, "invalid header \(field.name)")
            }
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "\r\n"
        let core = try UpgradeCore(
            endpoint: endpoint, method: request.method, path: request.path,
            connectTimeout: request.connectTimeout ?? configuration.connectTimeout,
            bufferLimit: configuration.streamBufferLimit)
        let deadline = ContinuousClock.now + (request.timeout ?? .seconds(60))
        let (status, responseHeaders) = try await core.start(requestBytes: Array(head.utf8) + body, deadline: deadline)
        let stream = UpgradedStream(core: core, status: status, headers: responseHeaders)
        if Task.isCancelled {
            // The handshake won the race with cancellation; the caller no longer wants the stream.
            stream.close()
            throw HTTPTransportError(.cancelled, "\(request.method) \(request.path) on \(endpoint): upgrade cancelled", cause: CancellationError())
        }
        return stream
    }
}

/// The connection behind an ``UpgradedStream``.
///
/// Concurrency: the easy handle is used by the I/O thread and by callers of `write`/`closeWrite`,
/// always while holding `state`'s lock, because a libcurl handle (and its TLS session) must
/// never be used by two threads at once. The lock is held only for non-blocking calls.
final class UpgradeCore: Sendable {
    private struct PendingWrite {
        let id: UInt64
        var bytes: [UInt8]
        var offset: Int
        var waiter: CheckedContinuation<Void, any Error>?
    }

    private enum Phase { case handshaking, open, closed }
    private enum WriteSide { case open, shutdownRequested, shutDown }

    private struct State {
        var phase = Phase.handshaking
        var socket: Int32 = -1
        var pending: [PendingWrite] = []
        /// Results of queued writes that completed before their caller attached a continuation.
        var finishedWrites: [UInt64: Result<Void, any Error>] = [:]
        var nextWriteID: UInt64 = 0
        var writeSide = WriteSide.open
        var writeFailure: HTTPTransportError?
        var closeRequested = false
        var wakePending = false
        var handshake: CheckedContinuation<(Int, HTTPHeaders), any Error>?
    }

    private let state = Mutex(State())
    private let easy: CurlPointer
    let channel: ByteChannel
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let aborted = Atomic<Bool>(false)
    private let errorBuffer = CurlErrorBuffer()
    private let endpoint: HTTPEndpoint
    private let method: HTTPMethod
    private let path: String
    /// Read by libcurl while connecting; freed with the core, after the handle.
    private let connectTo: CurlStringList?

    private var what: String { "\(method) \(path) on \(endpoint)" }

    init(endpoint: HTTPEndpoint, method: HTTPMethod, path: String, connectTimeout: Duration, bufferLimit: Int) throws {
        try Curl.ensureInitialized()
        self.endpoint = endpoint
        self.method = method
        self.path = path
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            let err = errno
            throw HTTPTransportError(.io, "cannot create a wake-up pipe: \(errnoDescription(err))", cause: posixError(err))
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        channel = ByteChannel(highWater: bufferLimit, cancelledMessage: "\(method) \(path) on \(endpoint): inbound stream cancelled")
        guard let handle = curl_easy_init() else {
            closeDescriptor(fds[0])
            closeDescriptor(fds[1])
            throw HTTPTransportError(.internalError, "curl_easy_init failed")
        }
        easy = CurlPointer(raw: handle)
        do {
            connectTo = try Curl.configureConnection(
                handle, endpoint: endpoint, url: endpoint.curlBaseURL + path,
                connectTimeout: connectTimeout, errorBuffer: errorBuffer.pointer)
        } catch {
            // Not fully initialised, so deinit will not run: release what it would have.
            curl_easy_cleanup(handle)
            closeDescriptor(fds[0])
            closeDescriptor(fds[1])
            throw error
        }
        // Connect (and do TLS) only; the request head is written by hand so that the
        // connection can carry raw bytes after the response head.
        try Curl.setLong(handle, CURLOPT_CONNECT_ONLY, 1)
        try Curl.setLong(handle, CURLOPT_NOPROGRESS, 0)
        try Curl.setPointer(handle, CURLOPT_XFERINFODATA, Unmanaged.passUnretained(self).toOpaque())
        _ = sc_curl_easy_setopt_xferinfo_callback(handle, upgradeProgressCallback)
        // Hooks hold the core weakly: the channel lives inside the core.
        channel.setHooks(onDemand: { [weak self] in self?.wake() }, onCancel: {})
    }

    deinit {
        // The I/O thread holds a strong reference while it runs, so it has finished by now.
        let cleanup = state.withLock { st -> Bool in
            let needed = st.phase != .closed
            st.phase = .closed
            return needed
        }
        if cleanup { curl_easy_cleanup(easy.raw) }
        closeDescriptor(wakeRead)
        closeDescriptor(wakeWrite)
    }

    fileprivate var isAborted: Bool { aborted.load(ordering: .acquiring) }

    // MARK: Handshake

    func start(requestBytes: [UInt8], deadline: ContinuousClock.Instant) async throws -> (Int, HTTPHeaders) {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Int, HTTPHeaders), any Error>) in
                state.withLock { $0.handshake = continuation }
                let thread = Thread { [self] in self.run(requestBytes: requestBytes, deadline: deadline) }
                thread.name = "upgrade \(path)"
                thread.start()
            }
        } onCancel: {
            self.close()
        }
    }

    private func run(requestBytes: [UInt8], deadline: ContinuousClock.Instant) {
        let socket: Int32
        do {
            socket = try connect()
            try sendBlocking(requestBytes, socket: socket, deadline: deadline)
            let (status, headers, leftover) = try readHead(socket: socket, deadline: deadline)
            guard status == 101 || status == 200 else {
                let body = readRejectedBody(headers: headers, already: leftover, socket: socket, deadline: deadline)
                let response = HTTPResponse(status: status, headers: headers, body: body)
                let detail = response.bodyText.trimmingCharacters(in: .whitespacesAndNewlines)
                throw HTTPTransportError(
                    .upgradeRejected, "\(what): upgrade refused with status \(status)\(detail.isEmpty ? "" : ": \(detail)")",
                    response: response)
            }
            if !leftover.isEmpty { _ = channel.offer(leftover, force: true) }
            let continuation = state.withLock { st -> CheckedContinuation<(Int, HTTPHeaders), any Error>? in
                st.phase = .open
                st.socket = socket
                defer { st.handshake = nil }
                return st.handshake
            }
            continuation?.resume(returning: (status, headers))
        } catch {
            let continuation = state.withLock { st -> CheckedContinuation<(Int, HTTPHeaders), any Error>? in
                st.phase = .closed
                curl_easy_cleanup(easy.raw)
                defer { st.handshake = nil }
                return st.handshake
            }
            channel.finish(error)
            continuation?.resume(throwing: error)
            return
        }
        ioLoop(socket: socket)
    }

    private func connect() throws -> Int32 {
        if isAborted { throw cancelled() }
        let rc = curl_easy_perform(easy.raw)
        guard rc == CURLE_OK else {
            if isAborted { throw cancelled() }
            throw Curl.error(rc, osErrno: Curl.osErrno(easy.raw), detail: errorBuffer.text, endpoint: endpoint, method: method, path: path)
        }
        var socket: curl_socket_t = -1
        guard sc_curl_easy_getinfo_socket(easy.raw, CURLINFO_ACTIVESOCKET, &socket) == CURLE_OK, socket >= 0 else {
            throw HTTPTransportError(.internalError, "\(what): libcurl reported no active socket after connecting")
        }
        return Int32(socket)
    }

    /// Waits until `socket` is ready for `events`, the deadline passes, or the stream is aborted.
    private func waitHandshake(socket: Int32, events: Int32, deadline: ContinuousClock.Instant) throws {
        while true {
            if isAborted { throw cancelled() }
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { throw HTTPTransportError(.timeout, "\(what): timed out waiting for the upgrade response") }
            var fds = [pollfd(fd: socket, events: Int16(events), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let rc = poll(&fds, 2, Int32(clamping: remaining.curlMilliseconds))
            if rc < 0 && errno != EINTR {
                let err = errno
                throw HTTPTransportError(.io, "\(what): poll failed: \(errnoDescription(err))", cause: posixError(err))
            }
            if fds[1].revents != 0 { drainWake() }
            if fds[0].revents != 0 { return }
        }
    }

    private func sendBlocking(_ bytes: [UInt8], socket: Int32, deadline: ContinuousClock.Instant) throws {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let rc = bytes.withUnsafeBytes { buffer in
                curl_easy_send(easy.raw, buffer.baseAddress.unsafelyUnwrapped + offset, buffer.count - offset, &sent)
            }
            if rc == CURLE_OK {
                offset += sent
            } else if rc == CURLE_AGAIN {
                try waitHandshake(socket: socket, events: Int32(POLLOUT), deadline: deadline)
            } else {
                throw transportError(rc)
            }
        }
    }

    private func readHead(socket: Int32, deadline: ContinuousClock.Instant) throws -> (Int, HTTPHeaders, [UInt8]) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            var count = 0
            let rc = chunk.withUnsafeMutableBytes { curl_easy_recv(easy.raw, $0.baseAddress, $0.count, &count) }
            if rc == CURLE_AGAIN {
                try waitHandshake(socket: socket, events: Int32(POLLIN), deadline: deadline)
                continue
            }
            guard rc == CURLE_OK else { throw transportError(rc) }
            guard count > 0 else {
                throw HTTPTransportError(.closed, "\(what): connection closed before the upgrade response")
            }
            let searchFrom = max(received.count - 3, 0)
            received.append(contentsOf: chunk[0..<count])
            if let end = HTTPHead.end(in: received, searchFrom: searchFrom) {
                guard let (status, headers) = HTTPHead.parse(received[0..<end]) else {
                    throw HTTPTransportError(.protocolError, "\(what): malformed upgrade response head")
                }
                if status == 100 {
                    // "100 Continue" precedes the real response.
                    received.removeFirst(end)
                    continue
                }
                return (status, headers, Array(received[end...]))
            }
            if received.count > 1 << 20 {
                throw HTTPTransportError(.protocolError, "\(what): upgrade response head exceeds 1 MiB")
            }
        }
    }

    /// Best effort: reads the body of a refused upgrade (for the engine's error message),
    /// bounded to 1 MiB and by the deadline.
    private func readRejectedBody(headers: HTTPHeaders, already: [UInt8], socket: Int32, deadline: ContinuousClock.Instant) -> [UInt8] {
        let limit = 1 << 20
        let contentLength = headers["Content-Length"].flatMap { Int($0) }
        let chunked = headers["Transfer-Encoding"]?.lowercased().contains("chunked") ?? false
        var raw = already
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        func complete() -> Bool {
            if let contentLength { return raw.count >= contentLength }
            if chunked { return HTTPHead.decodeChunked(raw) != nil }
            return false
        }
        while !complete() && raw.count < limit {
            var count = 0
            let rc = chunk.withUnsafeMutableBytes { curl_easy_recv(easy.raw, $0.baseAddress, $0.count, &count) }
            if rc == CURLE_AGAIN {
                do { try waitHandshake(socket: socket, events: Int32(POLLIN), deadline: deadline) } catch { break }
                continue
            }
            if rc != CURLE_OK || count == 0 { break }
            raw.append(contentsOf: chunk[0..<count])
        }
        if let contentLength { return Array(raw.prefix(contentLength)) }
        if chunked { return HTTPHead.decodeChunked(raw) ?? raw }
        return raw
    }

    // MARK: Open stream: I/O thread

    private enum ReadOutcome { case more, eof, failed(HTTPTransportError) }

    private func ioLoop(socket: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var readOpen = true
        var failure: HTTPTransportError?
        loop: while true {
            let (wantWrite, closing) = state.withLock { st -> (Bool, Bool) in
                st.wakePending = false
                return (!st.pending.isEmpty || st.writeSide == .shutdownRequested, st.closeRequested)
            }
            if closing { break }
            let wantRead = readOpen && !channel.isPaused
            var events: Int32 = 0
            if wantRead { events |= Int32(POLLIN) }
            if wantWrite { events |= Int32(POLLOUT) }
            // While the consumer is behind (paused) the socket is left out entirely, so a hang-up
            // cannot spin this loop; after EOF it stays in (events 0) to notice the hang-up.
            let watchSocket = wantRead || wantWrite || !readOpen
            var fds = [
                pollfd(fd: watchSocket ? socket : -1, events: Int16(events), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                let err = errno
                failure = HTTPTransportError(.io, "\(what): poll failed: \(errnoDescription(err))", cause: posixError(err))
                break
            }
            let woke = fds[1].revents != 0
            if woke { drainWake() }
            let socketEvents = Int32(fds[0].revents)
            // After a wake-up read anyway: TLS may hold decrypted bytes the socket no longer signals.
            if wantRead && (socketEvents != 0 || woke) {
                switch readAvailable(&buffer) {
                case .more: break
                case .eof:
                    readOpen = false
                    channel.finish()
                case .failed(let error):
                    failure = error
                    break loop
                }
            }
            if wantWrite { flushPending() }
            if !readOpen && socketEvents & Int32(POLLHUP | POLLERR) != 0 { break }
        }
        finishIO(failure)
    }

    private func readAvailable(_ buffer: inout [UInt8]) -> ReadOutcome {
        while true {
            var count = 0
            let rc = state.withLock { _ in
                buffer.withUnsafeMutableBytes { curl_easy_recv(easy.raw, $0.baseAddress, $0.count, &count) }
            }
            if rc == CURLE_AGAIN { return .more }
            guard rc == CURLE_OK else { return .failed(transportError(rc)) }
            if count == 0 { return .eof }
            if case .paused = channel.offer(Array(buffer[0..<count]), force: true) { return .more }
        }
    }

    /// Sends queued writes until the socket would block. I/O thread only.
    private func flushPending() {
        var done: [CheckedContinuation<Void, any Error>] = []
        var failed: [CheckedContinuation<Void, any Error>] = []
        var failure: HTTPTransportError?
        state.withLock { st in
            while !st.pending.isEmpty {
                switch sendNonBlocking(st.pending[0].bytes, from: &st.pending[0].offset) {
                case .success(true):
                    let write = st.pending.removeFirst()
                    if let waiter = write.waiter { done.append(waiter) } else { st.finishedWrites[write.id] = .success(()) }
                case .success(false):
                    return
                case .failure(let error):
                    st.writeFailure = error
                    failure = error
                    for write in st.pending {
                        if let waiter = write.waiter { failed.append(waiter) } else { st.finishedWrites[write.id] = .failure(error) }
                    }
                    st.pending.removeAll()
                    return
                }
            }
            if st.writeSide == .shutdownRequested {
                _ = shutdown(st.socket, Int32(SHUT_WR))
                st.writeSide = .shutDown
            }
        }
        for waiter in done { waiter.resume() }
        if let failure { for waiter in failed { waiter.resume(throwing: failure) } }
    }

    /// Sends from `offset` until done (`true`) or the socket would block (`false`). Caller holds the lock.
    private func sendNonBlocking(_ bytes: [UInt8], from offset: inout Int) -> Result<Bool, HTTPTransportError> {
        while offset < bytes.count {
            var sent = 0
            let start = offset
            let rc = bytes.withUnsafeBytes { buffer in
                curl_easy_send(easy.raw, buffer.baseAddress.unsafelyUnwrapped + start, buffer.count - start, &sent)
            }
            if rc == CURLE_OK && sent > 0 {
                offset += sent
            } else if rc == CURLE_AGAIN || rc == CURLE_OK {
                return .success(false)
            } else {
                return .failure(transportError(rc))
            }
        }
        return .success(true)
    }

    private func finishIO(_ failure: HTTPTransportError?) {
        let closedError = failure ?? HTTPTransportError(.closed, "\(what): the stream is closed")
        let waiters = state.withLock { st -> [CheckedContinuation<Void, any Error>] in
            st.phase = .closed
            curl_easy_cleanup(easy.raw)
            var waiters: [CheckedContinuation<Void, any Error>] = []
            for write in st.pending {
                if let waiter = write.waiter { waiters.append(waiter) } else { st.finishedWrites[write.id] = .failure(closedError) }
            }
            st.pending.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: closedError) }
        channel.finish(failure)
    }

    // MARK: Caller side

    private enum WriteOutcome {
        case done
        case failed(HTTPTransportError)
        case queued(UInt64)
    }

    func write(_ bytes: [UInt8]) async throws {
        if bytes.isEmpty { return }
        let outcome = state.withLock { st -> WriteOutcome in
            guard st.phase == .open, !st.closeRequested else {
                return .failed(HTTPTransportError(.closed, "\(what): the stream is closed"))
            }
            if let failure = st.writeFailure { return .failed(failure) }
            guard st.writeSide == .open else {
                return .failed(HTTPTransportError(.closed, "\(what): the write side was closed"))
            }
            var offset = 0
            if st.pending.isEmpty {
                // Fast path: nothing queued, so this write may go out right now, from this thread.
                switch sendNonBlocking(bytes, from: &offset) {
                case .success(true): return .done
                case .success(false): break
                case .failure(let error):
                    st.writeFailure = error
                    return .failed(error)
                }
            }
            let id = st.nextWriteID
            st.nextWriteID += 1
            st.pending.append(PendingWrite(id: id, bytes: bytes, offset: offset, waiter: nil))
            return .queued(id)
        }
        switch outcome {
        case .done: return
        case .failed(let error): throw error
        case .queued(let id):
            wake()
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result = state.withLock { st -> Result<Void, any Error>? in
                    if let result = st.finishedWrites.removeValue(forKey: id) { return result }
                    if let index = st.pending.firstIndex(where: { $0.id == id }) {
                        st.pending[index].waiter = continuation
                        return nil
                    }
                    return .failure(HTTPTransportError(.closed, "\(what): the stream is closed"))
                }
                if let result { continuation.resume(with: result) }
            }
        }
    }

    func closeWrite() {
        let needsWake = state.withLock { st -> Bool in
            guard st.phase == .open, st.writeSide == .open else { return false }
            if st.pending.isEmpty {
                _ = shutdown(st.socket, Int32(SHUT_WR))
                st.writeSide = .shutDown
                return false
            }
            st.writeSide = .shutdownRequested
            return true
        }
        if needsWake { wake() }
    }

    func close() {
        aborted.store(true, ordering: .releasing)
        state.withLock { $0.closeRequested = true }
        wake()
    }

    // MARK: Wake-ups

    private func wake() {
        let needed = state.withLock { st -> Bool in
            if st.wakePending { return false }
            st.wakePending = true
            return true
        }
        guard needed else { return }
        var byte: UInt8 = 1
        _ = writeDescriptor(wakeWrite, &byte, 1)
    }

    private func drainWake() {
        var scratch = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &scratch, scratch.count) > 0 {}
    }

    private func cancelled() -> HTTPTransportError {
        HTTPTransportError(.cancelled, "\(what): upgrade cancelled", cause: CancellationError())
    }

    private func transportError(_ rc: CURLcode) -> HTTPTransportError {
        let err = Curl.osErrno(easy.raw)
        if rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR, err == ECONNRESET || err == EPIPE {
            return HTTPTransportError(
                .closed, "\(what): connection closed by peer (\(errnoDescription(err)))",
                curlCode: Int(rc.rawValue), cause: posixError(err))
        }
        return Curl.error(rc, osErrno: err, detail: errorBuffer.text, endpoint: endpoint, method: method, path: path)
    }
}

/// Aborts a blocking connect when the stream is cancelled during the handshake.
private let upgradeProgressCallback: sc_curl_xferinfo_callback = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let core = Unmanaged<UpgradeCore>.fromOpaque(userdata).takeUnretainedValue()
    return core.isAborted ? 1 : 0
}

// File-scope wrappers: inside UpgradeCore the bare names resolve to its own close()/write(_:).
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}

private func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
