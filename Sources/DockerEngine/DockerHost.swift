import Foundation
import HTTPTransport

/// Where the Docker engine listens, resolved the way the Docker CLI does it.
public struct DockerHost: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// `unix:///var/run/docker.sock`.
        case unixSocket(path: String)
        /// `tcp://host:port`, with TLS when `tls` is set.
        case tcp(host: String, port: Int, tls: TLSOptions?)
    }

    public static let defaultSocketPath = "/var/run/docker.sock"

    public var kind: Kind
    /// An API version to use instead of negotiating (`DOCKER_API_VERSION`).
    public var pinnedAPIVersion: String?

    public init(_ kind: Kind, pinnedAPIVersion: String? = nil) {
        self.kind = kind
        self.pinnedAPIVersion = pinnedAPIVersion
    }

    /// The local socket (default `/var/run/docker.sock`).
    public static func unixSocket(_ path: String = defaultSocketPath) -> DockerHost {
        DockerHost(.unixSocket(path: path))
    }

    /// A TCP engine, over TLS when `tls` is given.
    public static func tcp(host: String, port: Int, tls: TLSOptions? = nil) -> DockerHost {
        DockerHost(.tcp(host: host, port: port, tls: tls))
    }

    /// Resolves `DOCKER_HOST` (`unix://…` or `tcp://host:port`; default the local socket),
    /// `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH` (`ca.pem`, `cert.pem`, `key.pem`; default
    /// `~/.docker`) and `DOCKER_API_VERSION`.
    ///
    /// As with Docker's Go client, TLS is on when `DOCKER_TLS_VERIFY` or `DOCKER_CERT_PATH` is
    /// set, and the server certificate is verified only when `DOCKER_TLS_VERIFY` is non-empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DockerHost {
        let pinned = environment["DOCKER_API_VERSION"].flatMap { $0.isEmpty ? nil : $0 }
        let raw = environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "unix://\(defaultSocketPath)"
        if raw.hasPrefix("unix://") {
            let path = String(raw.dropFirst("unix://".count))
            guard path.hasPrefix("/") else {
                throw DockerError(.invalidArgument, "DOCKER_HOST=\(raw): a unix socket path must be absolute (unix:///path)")
            }
            return DockerHost(.unixSocket(path: path), pinnedAPIVersion: pinned)
        }
        if raw.hasPrefix("/") {
            return DockerHost(.unixSocket(path: raw), pinnedAPIVersion: pinned)
        }
        let verify = !(environment["DOCKER_TLS_VERIFY"] ?? "").isEmpty
        let certPathSetting = environment["DOCKER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        let useTLS = verify || certPathSetting != nil
        var rest: Substring
        if raw.hasPrefix("tcp://") {
            rest = raw.dropFirst("tcp://".count)
        } else if raw.hasPrefix("http://") {
            rest = raw.dropFirst("http://".count)
        } else if raw.hasPrefix("https://") {
            rest = raw.dropFirst("https://".count)
        } else {
            throw DockerError(.invalidArgument, "DOCKER_HOST=\(raw) is not supported: use unix:///path/to/docker.sock or tcp://host:port")
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard let (host, port) = splitHostPort(rest, defaultPort: useTLS ? 2376 : 2375) else {
            throw DockerError(.invalidArgument, "DOCKER_HOST=\(raw): expected tcp://host:port")
        }
        guard useTLS else { return DockerHost(.tcp(host: host, port: port, tls: nil), pinnedAPIVersion: pinned) }
        let certDir = certPathSetting ?? (environment["HOME"].map { "\($0)/.docker" } ?? ".docker")
        func file(_ name: String) -> String? {
            let path = "\(certDir)/\(name)"
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        let tls = TLSOptions(
            caFile: file("ca.pem"), certificateFile: file("cert.pem"), privateKeyFile: file("key.pem"),
            verifyPeer: verify, verifyHost: verify)
        return DockerHost(.tcp(host: host, port: port, tls: tls), pinnedAPIVersion: pinned)
    }

    private static func splitHostPort(_ authority: Substring, defaultPort: Int) -> (String, Int)? {
        if authority.isEmpty { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, defaultPort) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()) else { return nil }
            return (host, port)
        }
        guard let colon = authority.lastIndex(of: ":") else { return (String(authority), defaultPort) }
        let portText = authority[authority.index(after: colon)...]
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        let host = authority[..<colon]
        return host.isEmpty ? ("localhost", port) : (String(host), port)
    }

    /// The HTTP endpoint for this host.
    public var endpoint: HTTPEndpoint {
        switch kind {
        case .unixSocket(let path): return .unixSocket(path)
        case .tcp(let host, let port, let tls?): return .https(host: host, port: port, tls: tls)
        case .tcp(let host, let port, nil): return .http(host: host, port: port)
        }
    }

    /// `unix:///var/run/docker.sock` or `tcp://host:port`, as a person would write `DOCKER_HOST`.
    public var description: String {
        switch kind {
        case .unixSocket(let path): return "unix://\(path)"
        case .tcp(let host, let port, _): return host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        }
    }
}
