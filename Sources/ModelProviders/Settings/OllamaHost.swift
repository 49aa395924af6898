/// `OLLAMA_HOST` read the way Ollama's own client reads it, then pointed at its
/// OpenAI-compatible API (`…/v1`).
///
/// `127.0.0.1:11434`, `host` (port 11434), `http://host` (port 80), `https://host` (port 443),
/// `http://host:11434/prefix` (a reverse proxy's path) and `[::1]:11434` are all accepted; an
/// empty host means 127.0.0.1.
enum OllamaHost {
    static let defaultHost = "127.0.0.1:11434"

    static func baseURL(_ value: String) throws -> String {
        let trimmed = value.trimmingBlanks()
        var scheme = "http"
        var defaultPort = 11434
        var rest = Substring(trimmed)
        if let separator = trimmed.firstRange(of: "://") {
            scheme = trimmed[..<separator.lowerBound].lowercased()
            rest = trimmed[separator.upperBound...]
            switch scheme {
            case "http": defaultPort = 80
            case "https": defaultPort = 443
            default: throw invalid("the scheme must be http or https")
            }
        }
        let hostPort = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(hostPort.count).split(separator: "/").joined(separator: "/")
        let (host, port) = try splitHostPort(hostPort, defaultPort: defaultPort)
        var url = "\(scheme)://\(host):\(port)"
        if !path.isEmpty { url += "/" + path }
        if !url.hasSuffix("/v1") { url += "/v1" }
        guard ProviderURL.normalized(url) != nil else { throw invalid("the path holds characters a URL cannot") }
        return url
    }

    private static func splitHostPort(_ text: Substring, defaultPort: Int) throws -> (host: String, port: Int) {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("an IPv6 address needs its closing `]`") }
            host = text[...close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("expected `:port` after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count > 1 {
            // A bare IPv6 address has no room for a port.
            host = "[\(text)]"
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        if host.isEmpty { host = "127.0.0.1" }
        let hostScalars = host.unicodeScalars
        let validHost = hostScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "." || $0 == "-" || $0 == "_" || $0 == ":" || $0 == "[" || $0 == "]"
        }
        guard validHost else { throw invalid("the host may hold only letters, digits, `.`, `-` and `_`") }
        guard let portText else { return (String(host), defaultPort) }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw invalid("the port must be a number from 1 to 65535")
        }
        return (String(host), port)
    }

    private static func invalid(_ reason: String) -> ProviderSettingsError {
        ProviderSettingsError(
            .invalidHost, variable: "OLLAMA_HOST", "\(reason); write host[:port] or a URL, like 127.0.0.1:11434 or http://gpu-box:11434")
    }
}
