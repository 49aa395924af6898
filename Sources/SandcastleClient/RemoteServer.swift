import Foundation
import HTTPTransport

/// Where a remote Sandcastle server is and the key to present to it. The key is kept out of
/// ``description`` and every message: it is sent only as the `X-API-Key` header.
public struct RemoteServer: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The URL as given, without a trailing slash (`http://127.0.0.1:8080`).
    public let url: String
    let endpoint: HTTPEndpoint
    let apiKey: String?

    /// - Parameters:
    ///   - url: `http://host[:port][/prefix]` or `https://…`; the API lives under `<url>/api`.
    ///   - apiKey: sent as `X-API-Key` on every request; `nil` or empty sends none.
    public init(url: String, apiKey: String?) throws {
        var trimmed = url.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        // No query, fragment or credentials in the URL: the key has its own setting, and a URL
        // is printed in messages.
        guard !trimmed.contains("?"), !trimmed.contains("#"), !trimmed.contains("@"),
            trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }),
            trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://"),
            let endpoint = HTTPEndpoint(url: trimmed)
        else {
            let shown = String(url.prefix(200)).unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
            throw RemoteAPIError(
                .invalidURL, "'\(shown)' is not a server URL: give http://HOST[:PORT] or https://HOST[:PORT] (where `sandcastle serve` listens)")
        }
        self.url = trimmed
        self.endpoint = endpoint
        let key = apiKey?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.apiKey = (key?.isEmpty ?? true) ? nil : key
    }

    /// Whether a key is presented (never the key itself).
    public var hasAPIKey: Bool { apiKey != nil }

    public var description: String { url }
    public var debugDescription: String { "RemoteServer(\(url), key: \(hasAPIKey ? "set" : "none"))" }
    /// `dump` and debuggers see the URL and whether a key is set, never the key.
    public var customMirror: Mirror { Mirror(self, children: ["url": url, "hasAPIKey": hasAPIKey]) }
}
