import CCurl

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A raw libcurl handle crossing threads. libcurl handles are not thread-safe; every use site
/// documents which thread (or lock) confines it.
struct CurlPointer: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer
}

enum Curl {
    /// `curl_global_init` must run once before any other libcurl call and is not thread-safe,
    /// so it hides behind a global `let` (initialised exactly once, atomically).
    static let initialized: Bool = {
        // The process must survive peers closing sockets mid-write. libcurl only avoids SIGPIPE
        // on the send paths it controls, not inside OpenSSL, and we disable its signal handling
        // (CURLOPT_NOSIGNAL) because it is not thread-safe.
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    static func ensureInitialized() throws {
        guard initialized else {
            throw HTTPTransportError(.internalError, "libcurl global initialisation failed")
        }
    }

    static func describe(_ code: CURLcode) -> String {
        guard let text = curl_easy_strerror(code) else { return "curl error \(code.rawValue)" }
        return String(cString: text)
    }

    static func setLong(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) throws {
        try check(sc_curl_easy_setopt_long(easy, option, value), option)
    }

    static func setString(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: String) throws {
        // libcurl copies string options, so a temporary C string is enough.
        try value.withCString { try check(sc_curl_easy_setopt_pointer(easy, option, $0), option) }
    }

    static func setPointer(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: UnsafeRawPointer?) throws {
        try check(sc_curl_easy_setopt_pointer(easy, option, value), option)
    }

    static func setOffset(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int64) throws {
        try check(sc_curl_easy_setopt_off(easy, option, curl_off_t(value)), option)
    }

    private static func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw HTTPTransportError(
                .invalidRequest, "libcurl rejected option \(option.rawValue): \(describe(code))",
                curlCode: Int(code.rawValue))
        }
    }

    static func osErrno(_ easy: UnsafeMutableRawPointer) -> Int32 {
        var value = 0
        _ = sc_curl_easy_getinfo_long(easy, CURLINFO_OS_ERRNO, &value)
        return Int32(truncatingIfNeeded: value)
    }

    /// Sets the options shared by ordinary transfers and upgrade connections: where to connect,
    /// TLS, timeouts, and thread-safety switches. Returns the list libcurl reads a pinned
    /// address from (``HTTPEndpoint/connectAddress``), which the caller keeps until it has
    /// cleaned up the handle: libcurl does not copy lists.
    static func configureConnection(
        _ easy: UnsafeMutableRawPointer, endpoint: HTTPEndpoint, url: String,
        connectTimeout: Duration, errorBuffer: UnsafeMutablePointer<CChar>
    ) throws -> CurlStringList? {
        try setString(easy, CURLOPT_URL, url)
        try setPointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)
        // Timeouts via signals are process-wide and unsafe with threads.
        try setLong(easy, CURLOPT_NOSIGNAL, 1)
        try setLong(easy, CURLOPT_HTTP_VERSION, Int(sc_curl_http_version_1_1))
        try setLong(easy, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.curlMilliseconds)
        // Paths like archive targets must reach the server exactly as written.
        try setLong(easy, CURLOPT_PATH_AS_IS, 1)
        try setLong(easy, CURLOPT_FOLLOWLOCATION, 0)
        switch endpoint.transport {
        case .unixSocket(let path):
            try setString(easy, CURLOPT_UNIX_SOCKET_PATH, path)
        case .tcp:
            try setLong(easy, CURLOPT_TCP_KEEPALIVE, 1)
            try setLong(easy, CURLOPT_TCP_NODELAY, 1)
        case .tls(_, _, let tls):
            try setLong(easy, CURLOPT_TCP_KEEPALIVE, 1)
            try setLong(easy, CURLOPT_TCP_NODELAY, 1)
            if let ca = tls.caFile { try setString(easy, CURLOPT_CAINFO, ca) }
            if let cert = tls.certificateFile {
                try setString(easy, CURLOPT_SSLCERT, cert)
                try setString(easy, CURLOPT_SSLCERTTYPE, "PEM")
            }
            if let key = tls.privateKeyFile {
                try setString(easy, CURLOPT_SSLKEY, key)
                try setString(easy, CURLOPT_SSLKEYTYPE, "PEM")
            }
            try setLong(easy, CURLOPT_SSL_VERIFYPEER, tls.verifyPeer ? 1 : 0)
            try setLong(easy, CURLOPT_SSL_VERIFYHOST, tls.verifyHost ? 2 : 0)
        }
        guard let connectTo = try endpoint.curlConnectTo() else { return nil }
        let list = try CurlStringList([connectTo])
        try setPointer(easy, CURLOPT_CONNECT_TO, list.pointer)
        return list
    }

    /// Applies a ``ProxySetting``. Unix sockets are left alone: libcurl never proxies them.
    static func configureProxy(_ easy: UnsafeMutableRawPointer, _ proxy: ProxySetting, endpoint: HTTPEndpoint) throws {
        if case .unixSocket = endpoint.transport { return }
        // The head of a proxy's answer to CONNECT ("200 Connection established", or a refusal)
        // is not the response: without this, libcurl hands it to the header callback as one.
        try setLong(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        switch proxy {
        case .libcurlDefault:
            return
        case .direct:
            // An empty proxy string switches off libcurl's own reading of the environment.
            try setString(easy, CURLOPT_PROXY, "")
        case .proxy(let url, let noProxy):
            try setString(easy, CURLOPT_PROXY, url)
            // Set even when empty, so the process's NO_PROXY cannot exempt what this setting does not.
            try setString(easy, CURLOPT_NOPROXY, noProxy ?? "")
        }
    }

    /// Turns a failed `CURLcode` into an error naming the endpoint and the request.
    static func error(
        _ code: CURLcode, osErrno: Int32, detail: String, endpoint: HTTPEndpoint,
        method: HTTPMethod, path: String
    ) -> HTTPTransportError {
        let curlText = detail.isEmpty ? describe(code) : detail
        let osText = osErrno != 0 ? errnoDescription(osErrno) : nil
        let cause: (any Error)? = osErrno != 0 ? posixError(osErrno) : nil
        let what = "\(method) \(path) on \(endpoint)"
        let raw = Int(code.rawValue)
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_INTERFACE_FAILED:
            return HTTPTransportError(.connectFailed, "cannot connect to \(endpoint): \(osText ?? curlText)", curlCode: raw, cause: cause)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPTransportError(.timeout, "\(what) timed out: \(curlText)", curlCode: raw, cause: cause)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_SHUTDOWN_FAILED,
            CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return HTTPTransportError(.tls, "TLS failure with \(endpoint): \(curlText)", curlCode: raw, cause: cause)
        case CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return HTTPTransportError(.closed, "\(what): connection closed early: \(curlText)", curlCode: raw, cause: cause)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_READ_ERROR, CURLE_WRITE_ERROR, CURLE_SEND_FAIL_REWIND:
            return HTTPTransportError(.io, "\(what) failed: \(osText.map { "\(curlText) (\($0))" } ?? curlText)", curlCode: raw, cause: cause)
        case CURLE_WEIRD_SERVER_REPLY, CURLE_UNSUPPORTED_PROTOCOL, CURLE_HTTP2, CURLE_BAD_CONTENT_ENCODING:
            return HTTPTransportError(.protocolError, "\(what): invalid response: \(curlText)", curlCode: raw, cause: cause)
        case CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT:
            return HTTPTransportError(.invalidRequest, "\(what): invalid request: \(curlText)", curlCode: raw, cause: cause)
        default:
            return HTTPTransportError(.internalError, "\(what) failed: \(curlText)", curlCode: raw, cause: cause)
        }
    }
}

/// A `curl_slist` owned by Swift, freed when the last reference goes.
final class CurlStringList: @unchecked Sendable {
    // Built once in init, then only read by libcurl on the thread running the transfer.
    let pointer: UnsafeMutablePointer<curl_slist>

    init(_ items: [String]) throws {
        var list: UnsafeMutablePointer<curl_slist>?
        for item in items {
            guard let extended = curl_slist_append(list, item) else {
                curl_slist_free_all(list)
                throw HTTPTransportError(.internalError, "curl_slist_append failed")
            }
            list = extended
        }
        guard let list else { throw HTTPTransportError(.internalError, "an empty libcurl list") }
        pointer = list
    }

    deinit { curl_slist_free_all(pointer) }
}

/// Tells numeric IP addresses from names, strictly (`inet_pton`: dotted-quad IPv4, IPv6 without
/// a zone), so that nothing this accepts is ever handed to a resolver.
enum NumericAddress {
    enum Family { case v4, v6 }

    static func family(of text: String) -> Family? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return .v4 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return .v6 }
        return nil
    }
}

/// A fixed C buffer for libcurl's CURLOPT_ERRORBUFFER.
final class CurlErrorBuffer: @unchecked Sendable {
    // Written by libcurl on the thread running the transfer; read there after completion.
    let pointer: UnsafeMutablePointer<CChar>

    init() {
        pointer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        pointer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    var text: String {
        var s = String(cString: pointer)
        while s.last == "\n" { s.removeLast() }
        return s
    }

    deinit { pointer.deallocate() }
}
