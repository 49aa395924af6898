import CCurl
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Receives a transfer's events on the curl thread.
protocol TransferSink: AnyObject, Sendable {
    /// The final (non-1xx) response head is complete.
    func head(status: Int, headers: HTTPHeaders)
    /// A body chunk; return `false` to pause the transfer without consuming the bytes.
    func body(_ bytes: UnsafeRawBufferPointer) -> Bool
    /// The transfer ended; called exactly once.
    func complete(_ error: HTTPTransportError?)
}

/// One request on the shared multi handle: the easy handle, its request body source and the
/// response head being parsed.
///
/// After ``CurlMultiLoop/submit(_:)`` every mutable field is touched only on the loop thread
/// (libcurl invokes the callbacks there); the one cross-thread flag is the atomic `cancelled`.
final class Transfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    let endpoint: HTTPEndpoint
    let method: HTTPMethod
    let path: String
    /// Set (before submission) by the client; read on the loop thread.
    var sink: (any TransferSink)?

    let cancelled = Atomic<Bool>(false)

    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// Read by libcurl until the handle is cleaned up; freed with the transfer, after that.
    private var connectTo: CurlStringList?
    private let errorBuffer = CurlErrorBuffer()
    private var source: BodySource
    private var status = 0
    private var headers = HTTPHeaders()
    private var headDelivered = false
    private var finished = false
    private var released = false

    private enum BodySource {
        case none
        case bytes([UInt8], offset: Int)
        case file(fd: Int32, path: String)
    }

    init(
        endpoint: HTTPEndpoint, request: HTTPRequest, defaultConnectTimeout: Duration, userAgent: String?,
        proxy: ProxySetting = .libcurlDefault, sourceAddress: String? = nil
    ) throws {
        try Curl.ensureInitialized()
        guard let easy = curl_easy_init() else {
            throw HTTPTransportError(.internalError, "curl_easy_init failed")
        }
        self.easy = easy
        self.endpoint = endpoint
        self.method = request.method
        self.path = request.path
        self.source = .none
        do {
            try configure(
                request, defaultConnectTimeout: defaultConnectTimeout, userAgent: userAgent, proxy: proxy, sourceAddress: sourceAddress)
        } catch {
            release()
            throw error
        }
    }

    deinit {
        // A transfer that never reached the loop (or failed to be added) still owns its handle.
        release()
    }

    private func configure(
        _ request: HTTPRequest, defaultConnectTimeout: Duration, userAgent: String?, proxy: ProxySetting, sourceAddress: String?
    ) throws {
        guard request.path.hasPrefix("/") else {
            throw HTTPTransportError(.invalidRequest, "request path must start with '/': \(request.path)")
        }
        connectTo = try Curl.configureConnection(
            easy, endpoint: endpoint, url: endpoint.curlBaseURL + request.path,
            connectTimeout: request.connectTimeout ?? defaultConnectTimeout,
            errorBuffer: errorBuffer.pointer)
        if let timeout = request.timeout {
            try Curl.setLong(easy, CURLOPT_TIMEOUT_MS, timeout.curlMilliseconds)
        }
        if let userAgent { try Curl.setString(easy, CURLOPT_USERAGENT, userAgent) }
        try Curl.configureProxy(easy, proxy, endpoint: endpoint)
        if let sourceAddress, case .unixSocket = endpoint.transport {
            throw HTTPTransportError(.invalidRequest, "a source address (\(sourceAddress)) means nothing on a Unix socket")
        } else if let sourceAddress {
            // "host!" makes libcurl bind to this address, never read it as an interface name.
            try Curl.setString(easy, CURLOPT_INTERFACE, "host!" + sourceAddress)
        }

        let opaque = Unmanaged.passUnretained(self).toOpaque()
        try Curl.setPointer(easy, CURLOPT_PRIVATE, opaque)
        try Curl.setPointer(easy, CURLOPT_WRITEDATA, opaque)
        try Curl.setPointer(easy, CURLOPT_HEADERDATA, opaque)
        try check(sc_curl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, transferWriteCallback))
        try check(sc_curl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, transferHeaderCallback))

        switch request.body {
        case .none:
            source = .none
        case .bytes(let bytes):
            source = .bytes(bytes, offset: 0)
        case .file(let path):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                let err = errno
                throw HTTPTransportError(
                    .invalidRequest, "cannot open request body \(path): \(errnoDescription(err))",
                    cause: posixError(err))
            }
            source = .file(fd: fd, path: path)
        }

        if request.method == .head {
            try Curl.setLong(easy, CURLOPT_NOBODY, 1)
        } else if request.method == .get, case .none = source {
            try Curl.setLong(easy, CURLOPT_HTTPGET, 1)
        } else {
            try Curl.setString(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }

        var length: Int64?
        switch source {
        case .none: break
        case .bytes(let bytes, _): length = Int64(bytes.count)
        case .file(let fd, let path):
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let err = errno
                throw HTTPTransportError(
                    .invalidRequest, "cannot stat request body \(path): \(errnoDescription(err))",
                    cause: posixError(err))
            }
            length = Int64(info.st_size)
        }
        if let length {
            // UPLOAD streams the body through the read callback for any method (CUSTOMREQUEST
            // keeps the verb) and, unlike POSTFIELDS, adds no form Content-Type of its own.
            try Curl.setLong(easy, CURLOPT_UPLOAD, 1)
            try Curl.setOffset(easy, CURLOPT_INFILESIZE_LARGE, length)
            try Curl.setPointer(easy, CURLOPT_READDATA, opaque)
            try Curl.setPointer(easy, CURLOPT_SEEKDATA, opaque)
            try check(sc_curl_easy_setopt_data_callback(easy, CURLOPT_READFUNCTION, transferReadCallback))
            try check(sc_curl_easy_setopt_seek_callback(easy, transferSeekCallback))
        }

        // "Expect:" suppresses libcurl's 100-continue handshake, which only adds a round trip here.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for field in request.headers {
            guard !field.name.contains(where: { $0 == "\r" || $0 == "\n" || $0 == ":" }),
                !field.value.contains(where: { $0 == "\r" || $0 == "\n" })
            else {
                curl_slist_free_all(list)
                throw HTTPTransportError(.invalidRequest, "invalid header \(field.name)")
            }
            // "Name;" is libcurl's way of sending a header with an empty value.
            let line = field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
            list = curl_slist_append(list, line)
        }
        headerList = list
        try Curl.setPointer(easy, CURLOPT_HTTPHEADER, list)
    }

    private func check(_ code: CURLcode) throws {
        guard code == CURLE_OK else {
            throw HTTPTransportError(.internalError, "libcurl setup failed: \(Curl.describe(code))", curlCode: Int(code.rawValue))
        }
    }

    var requestDescription: String { "\(method) \(path) on \(endpoint)" }

    // MARK: Loop-thread callbacks

    fileprivate func onHeader(_ line: UnsafeRawBufferPointer) {
        guard !headDelivered else { return } // trailers after a chunked body
        var text = String(decoding: line, as: UTF8.self)
        while text.last == "\n" || text.last == "\r" || text.last == "\r\n" { text.removeLast() }
        if text.hasPrefix("HTTP/") {
            // A new response starts (e.g. after "100 Continue"): forget the previous head.
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = HTTPHeaders()
        } else if text.isEmpty {
            if status >= 200 {
                headDelivered = true
                sink?.head(status: status, headers: headers)
            }
        } else if let colon = text.firstIndex(of: ":") {
            let name = String(text[..<colon])
            let value = text[text.index(after: colon)...].trimmingCharacters(in: " \t")
            headers.add(name, value)
        }
    }

    fileprivate func onBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let sink else { return bytes.count }
        return sink.body(bytes) ? bytes.count : Int(sc_curl_writefunc_pause)
    }

    fileprivate func onRead(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch source {
        case .none:
            return 0
        case .bytes(let bytes, let offset):
            let n = min(buffer.count, bytes.count - offset)
            if n > 0 {
                bytes.withUnsafeBytes { src in
                    buffer.baseAddress?.copyMemory(from: src.baseAddress.unsafelyUnwrapped + offset, byteCount: n)
                }
            }
            source = .bytes(bytes, offset: offset + n)
            return n
        case .file(let fd, _):
            while true {
                let n = read(fd, buffer.baseAddress, buffer.count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                return Int(sc_curl_readfunc_abort)
            }
        }
    }

    fileprivate func onSeek(_ offset: Int64, _ origin: Int32) -> Int32 {
        guard origin == SEEK_SET else { return CURL_SEEKFUNC_CANTSEEK }
        switch source {
        case .none:
            return offset == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL
        case .bytes(let bytes, _):
            guard offset >= 0, offset <= Int64(bytes.count) else { return CURL_SEEKFUNC_FAIL }
            source = .bytes(bytes, offset: Int(offset))
            return CURL_SEEKFUNC_OK
        case .file(let fd, _):
            return lseek(fd, off_t(offset), SEEK_SET) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK
        }
    }

    /// Completes the transfer with libcurl's result and frees its resources. Loop thread only,
    /// after the handle has left the multi.
    func finish(curlCode: CURLcode) {
        if curlCode == CURLE_OK {
            if !headDelivered {
                finish(error: HTTPTransportError(.protocolError, "\(requestDescription): response ended without a complete head"))
            } else {
                finish(error: nil)
            }
            return
        }
        if cancelled.load(ordering: .acquiring) {
            finish(error: cancellationError())
            return
        }
        finish(
            error: Curl.error(
                curlCode, osErrno: Curl.osErrno(easy), detail: errorBuffer.text,
                endpoint: endpoint, method: method, path: path))
    }

    /// Completes with `error` (or success) and frees the handle. Idempotent.
    func finish(error: HTTPTransportError?) {
        guard !finished else { return }
        finished = true
        let sink = self.sink
        self.sink = nil
        // Resume the caller first: freeing the handle is not on its critical path.
        sink?.complete(error)
        release()
    }

    func cancellationError() -> HTTPTransportError {
        HTTPTransportError(.cancelled, "\(requestDescription) was cancelled", cause: CancellationError())
    }

    private func release() {
        guard !released else { return }
        released = true
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        if case .file(let fd, _) = source { close(fd) }
        source = .none
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}

// C callbacks: libcurl passes the Transfer as userdata. The multi loop keeps the Transfer alive
// while its handle is attached, so an unretained reference is safe here.

private let transferWriteCallback: sc_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.onBody(UnsafeRawBufferPointer(start: buffer, count: size * count))
}

private let transferHeaderCallback: sc_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return 0 }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.onHeader(UnsafeRawBufferPointer(start: buffer, count: size * count))
    return size * count
}

private let transferReadCallback: sc_curl_data_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return Int(sc_curl_readfunc_abort) }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.onRead(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

private let transferSeekCallback: curl_seek_callback = { userdata, offset, origin in
    guard let userdata else { return CURL_SEEKFUNC_FAIL }
    let transfer = Unmanaged<Transfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.onSeek(Int64(offset), origin)
}
