/// A callback URL as written by a user, parsed strictly: `http` or `https`, a host, an
/// optional port, a path and query. Nothing here resolves anything; ``check(policy:resolver:)``
/// does, once, and gives the ``CheckedCallback`` a delivery needs.
///
/// Refused (``WebhookError/Code/invalidCallbackURL``): other schemes, credentials
/// (`http://user:pass@host`: a URL's secrets end up in logs and records), no host, a port outside
/// 1–65535, more than ``maximumLength`` bytes, control characters (NUL included), a backslash
/// or any other character a host cannot have, a non-ASCII host (write an internationalised name
/// in its `xn--` form), an unbracketed IPv6 address. Every error names the problem but never
/// repeats the URL's credentials or query.
public struct CallbackURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case http, https

        var defaultPort: Int { self == .https ? 443 : 80 }
    }

    /// Longest accepted URL, in UTF-8 bytes.
    public static let maximumLength = 2048

    public let scheme: Scheme
    /// The host, lowercased; an IPv6 address without brackets or zone. This is the name the
    /// request carries (Host header, TLS server name and certificate check).
    public let host: String
    /// The zone of a bracketed IPv6 address (`[fe80::1%25eth0]` → `eth0`), given to the resolver.
    public let zone: String?
    public let port: Int
    /// Path and query, starting with `/`, with characters a request line cannot carry
    /// percent-encoded; the fragment (never sent) is dropped.
    public let target: String

    public init(parsing text: String) throws {
        guard text.utf8.count <= Self.maximumLength else {
            throw Self.refusal("is longer than \(Self.maximumLength) bytes")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw Self.refusal("contains a control character")
        }
        let lowered = text.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            scheme = .https
            rest = text.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            scheme = .http
            rest = text.dropFirst("http://".count)
        } else if let colon = text.firstIndex(of: ":"), text[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }),
            !text[..<colon].isEmpty
        {
            throw Self.refusal("must use http or https, not '\(text[..<colon].prefix(20))'")
        } else {
            throw Self.refusal("must be an http:// or https:// URL")
        }

        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if authority.contains("@") {
            throw Self.refusal("must not carry credentials (user:password@host)")
        }
        guard !authority.isEmpty else { throw Self.refusal("has no host") }

        let hostPart: Substring
        let portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw Self.refusal("has an unclosed '[' in its host") }
            hostPart = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portPart = nil
            } else if after.hasPrefix(":") {
                portPart = after.dropFirst()
            } else {
                throw Self.refusal("has characters after its IPv6 address")
            }
        } else if let colon = authority.firstIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
            if portPart?.contains(":") == true { throw Self.refusal("has an IPv6 address without brackets, or a second ':'") }
        } else {
            hostPart = authority
            portPart = nil
        }

        (host, zone) = try Self.parseHost(hostPart)
        if let portPart, !portPart.isEmpty {
            guard portPart.count <= 5, portPart.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(portPart), (1...65535).contains(number)
            else {
                throw Self.refusal("has port '\(portPart.prefix(12))', not a number from 1 to 65535")
            }
            port = number
        } else {
            port = scheme.defaultPort
        }

        var target = rest[authorityEnd...]
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        self.target = Self.encodeTarget(target.hasPrefix("/") ? String(target) : "/" + target)
    }

    /// The URL with every query value replaced by `***`, for records and messages: query strings
    /// are where tokens travel (`?token=…`). Scheme, host, port and path are kept.
    public var masked: String { "\(scheme.rawValue)://\(authorityText)\(maskedTarget)" }

    /// ``target`` with its query values masked.
    var maskedTarget: String {
        guard let mark = target.firstIndex(of: "?") else { return target }
        let query = target[target.index(after: mark)...]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "=") else { return parameter.isEmpty ? "" : "***" }
            return "\(parameter[..<equals])=***"
        }
        return "\(target[..<mark])?\(parameters.joined(separator: "&"))"
    }

    /// ``masked``: a callback URL is never printed whole.
    public var description: String { masked }

    /// `host[:port]` as written in a URL, the port left out when it is the scheme's default.
    var authorityText: String {
        let hostText = host.contains(":") ? "[\(host)]" : host
        return port == scheme.defaultPort ? hostText : "\(hostText):\(port)"
    }

    /// What the resolver is asked: the host, with its zone for a scoped IPv6 address.
    var resolverHost: String { zone.map { "\(host)%\($0)" } ?? host }

    private static func parseHost(_ text: Substring) throws -> (String, String?) {
        if text.hasPrefix("[") {
            var inner = text.dropFirst().dropLast()
            var zone: String?
            if let percent = inner.firstIndex(of: "%") {
                var zoneText = inner[inner.index(after: percent)...]
                if zoneText.hasPrefix("25") { zoneText = zoneText.dropFirst(2) } // RFC 6874 writes `%25`
                guard !zoneText.isEmpty, zoneText.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) else {
                    throw refusal("has an invalid IPv6 zone")
                }
                zone = String(zoneText)
                inner = inner[..<percent]
            }
            guard let address = IPAddress(String(inner)), address.family == .v6 else {
                throw refusal("has '\(inner.prefix(45))' in brackets, which is not an IPv6 address")
            }
            return (address.description, zone)
        }
        guard !text.isEmpty else { throw refusal("has no host") }
        guard text.allSatisfy(\.isASCII) else {
            throw refusal("has a non-ASCII host; write an internationalised name in its xn-- form")
        }
        if let bad = text.first(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }) {
            throw refusal("has a host with the character '\(bad)', which host names cannot contain")
        }
        guard text.count <= 253 else { throw refusal("has a host longer than 253 characters") }
        return (text.lowercased(), nil)
    }

    /// Percent-encodes what may not appear raw in a request line (space, quotes, `<>\^`{|}`,
    /// non-ASCII), leaving everything else, `%` escapes included, as written.
    private static func encodeTarget(_ target: String) -> String {
        var out = ""
        out.reserveCapacity(target.utf8.count)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in target.utf8 {
            let raw = byte > 0x20 && byte < 0x7F && !Array("\"<>\\^`{|}".utf8).contains(byte)
            if raw {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }

    static func refusal(_ problem: String) -> WebhookError {
        WebhookError(.invalidCallbackURL, "callback_url \(problem)")
    }
}
