/// Where an ``HTTPClient`` connects: a Unix domain socket or a TCP host, optionally over TLS.
public struct HTTPEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The transport underneath HTTP.
    public enum Transport: Sendable, Hashable {
        /// A Unix domain socket at `path` (the Docker default, `/var/run/docker.sock`).
        case unixSocket(path: String)
        /// Plain TCP to `host:port`.
        case tcp(host: String, port: Int)
        /// TLS over TCP to `host:port`.
        case tls(host: String, port: Int, options: TLSOptions)
    }

    public var transport: Transport

    /// Prepended to every request path, e.g. `/api` for a server mounted below the root.
    /// Must start with `/` when non-empty and must not end with one.
    public var basePath: String

    /// An IP address (`203.0.113.7`, `2001:db8::7`) that TCP and TLS connections go to instead
    /// of whatever the host name resolves to; `nil` resolves the host as usual. The host name
    /// still names the server in the `Host` header, in TLS's SNI and in the certificate check.
    /// This is how a caller that has vetted an address keeps the connection on it: with no
    /// second lookup, a name whose answer changes in between (DNS rebinding) cannot redirect
    /// it. Only numeric addresses are accepted (a request fails with `invalidRequest`
    /// otherwise); Unix sockets ignore it; a proxy, if one is used, is asked for the address.
    public var connectAddress: String?

    public init(transport: Transport, basePath: String = "", connectAddress: String? = nil) {
        self.transport = transport
        self.basePath = basePath
        self.connectAddress = connectAddress
    }

    /// This endpoint with its connections pinned to `address` (see ``connectAddress``).
    public func pinned(to address: String) -> HTTPEndpoint {
        var copy = self
        copy.connectAddress = address
        return copy
    }

    /// A Unix domain socket endpoint.
    public static func unixSocket(_ path: String) -> HTTPEndpoint {
        HTTPEndpoint(transport: .unixSocket(path: path))
    }

    /// A plain-HTTP TCP endpoint.
    public static func http(host: String, port: Int = 80, basePath: String = "") -> HTTPEndpoint {
        HTTPEndpoint(transport: .tcp(host: host, port: port), basePath: basePath)
    }

    /// An HTTPS endpoint.
    public static func https(host: String, port: Int = 443, tls: TLSOptions = TLSOptions(), basePath: String = "") -> HTTPEndpoint {
        HTTPEndpoint(transport: .tls(host: host, port: port, options: tls), basePath: basePath)
    }

    /// Parses `unix:///path`, `http://host[:port][/base]` or `https://host[:port][/base]`.
    ///
    /// Docker's `tcp://` scheme is deliberately not accepted here: whether it means HTTP or
    /// HTTPS depends on `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`, which the Docker layer decides.
    public init?(url: String, tls: TLSOptions = TLSOptions()) {
        if url.hasPrefix("unix://") {
            let path = String(url.dropFirst("unix://".count))
            guard path.hasPrefix("/") else { return nil }
            self.init(transport: .unixSocket(path: path))
            return
        }
        let secure: Bool
        let rest: Substring
        if url.hasPrefix("https://") {
            secure = true
            rest = url.dropFirst("https://".count)
        } else if url.hasPrefix("http://") {
            secure = false
            rest = url.dropFirst("http://".count)
        } else {
            return nil
        }
        let authority: Substring
        var basePath = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            basePath = String(rest[slash...])
            while basePath.hasSuffix("/") { basePath.removeLast() }
        } else {
            authority = rest
        }
        guard let (host, port) = Self.splitAuthority(authority, defaultPort: secure ? 443 : 80) else { return nil }
        self.init(transport: secure ? .tls(host: host, port: port, options: tls) : .tcp(host: host, port: port), basePath: basePath)
    }

    /// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
    static func splitAuthority(_ authority: Substring, defaultPort: Int) -> (String, Int)? {
        if authority.isEmpty { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, defaultPort) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else { return nil }
            return (host, port)
        }
        if let colon = authority.lastIndex(of: ":") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else { return nil }
            let host = authority[..<colon]
            return host.isEmpty ? nil : (String(host), port)
        }
        return (String(authority), defaultPort)
    }

    /// The endpoint as a URL a person recognises, used in error messages:
    /// `unix:///var/run/docker.sock`, `https://host:2376`.
    /// A pinned endpoint says where it really connects: `https://example.com:443 via 203.0.113.7`.
    public var description: String {
        switch transport {
        case .unixSocket(let path): return "unix://\(path)"
        case .tcp(let host, let port): return "http://\(Self.urlHost(host)):\(port)\(basePath)\(pinnedSuffix)"
        case .tls(let host, let port, _): return "https://\(Self.urlHost(host)):\(port)\(basePath)\(pinnedSuffix)"
        }
    }

    private var pinnedSuffix: String { connectAddress.map { " via \($0)" } ?? "" }

    /// The URL prefix libcurl is given. For Unix sockets the host is a placeholder:
    /// libcurl connects to the socket path and only uses the host for the `Host:` header.
    var curlBaseURL: String {
        switch transport {
        case .unixSocket: return "http://localhost\(basePath)"
        case .tcp(let host, let port): return "http://\(Self.urlHost(host)):\(port)\(basePath)"
        case .tls(let host, let port, _): return "https://\(Self.urlHost(host)):\(port)\(basePath)"
        }
    }

    /// libcurl's `CURLOPT_CONNECT_TO` entry for ``connectAddress``: `::ADDRESS:PORT`, whose
    /// empty host and port match whatever the URL names, so every connection of the transfer
    /// goes to the address. `nil` when nothing is pinned (or for a Unix socket).
    func curlConnectTo() throws -> String? {
        guard let address = connectAddress else { return nil }
        let port: Int
        switch transport {
        case .unixSocket: return nil
        case .tcp(_, let p), .tls(_, let p, _): port = p
        }
        guard let family = NumericAddress.family(of: address) else {
            // A name here would be looked up by libcurl, which is what pinning exists to prevent.
            throw HTTPTransportError(.invalidRequest, "connect address '\(address)' for \(self) is not a numeric IP address")
        }
        return family == .v6 ? "::[\(address)]:\(port)" : "::\(address):\(port)"
    }

    /// The value of the `Host:` header for hand-written requests (upgrades).
    var hostHeader: String {
        switch transport {
        case .unixSocket: return "localhost"
        case .tcp(let host, let port): return port == 80 ? Self.urlHost(host) : "\(Self.urlHost(host)):\(port)"
        case .tls(let host, let port, _): return port == 443 ? Self.urlHost(host) : "\(Self.urlHost(host)):\(port)"
        }
    }

    private static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// TLS settings for an HTTPS endpoint. Paths name PEM files.
public struct TLSOptions: Sendable, Hashable {
    /// CA bundle used to verify the server; `nil` uses the system trust store.
    public var caFile: String?
    /// Client certificate for mutual TLS (Docker's `cert.pem`).
    public var certificateFile: String?
    /// Private key of the client certificate (Docker's `key.pem`).
    public var privateKeyFile: String?
    /// Verify the server's certificate chain. Turn off only for a CA you cannot provide.
    public var verifyPeer: Bool
    /// Verify that the certificate names the host connected to.
    public var verifyHost: Bool

    public init(
        caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil,
        verifyPeer: Bool = true, verifyHost: Bool = true
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.verifyPeer = verifyPeer
        self.verifyHost = verifyHost
    }
}
