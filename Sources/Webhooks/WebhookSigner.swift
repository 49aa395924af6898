import Crypto
import HTTPTransport

/// The shared secret webhooks are signed with (`WEBHOOK_SECRET`). It never shows itself:
/// printing, interpolating, reflecting or dumping it gives `[redacted]`.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    // Bytes rather than a SymmetricKey, which is not Sendable; the key is made per use.
    private let bytes: [UInt8]

    /// The secret as configured; its UTF-8 bytes are the HMAC key, as in Sandcastle.
    public init(_ value: String) {
        bytes = Array(value.utf8)
    }

    fileprivate var key: SymmetricKey { SymmetricKey(data: bytes) }
    fileprivate var isEmpty: Bool { bytes.isEmpty }

    /// The variable the server reads the secret from, Sandcastle's name for it.
    public static let environmentVariable = "WEBHOOK_SECRET"

    /// The secret the environment sets; `nil` when ``environmentVariable`` is unset or empty
    /// (webhooks then go unsigned, as Sandcastle's do).
    public static func fromEnvironment(_ environment: [String: String]) -> WebhookSecret? {
        guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
        return WebhookSecret(value)
    }

    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
    /// No children: `dump` and debuggers would otherwise list the key's bytes.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    public static func == (lhs: WebhookSecret, rhs: WebhookSecret) -> Bool {
        // Compared through their MAC of a fixed message: constant-time, and no key bytes handled here.
        let probe = Array("sandcastle-webhook-secret".utf8)
        return HMAC<SHA256>.isValidAuthenticationCode(
            Array(HMAC<SHA256>.authenticationCode(for: probe, using: lhs.key)), authenticating: probe, using: rhs.key)
    }
}

/// Signs webhook bodies and checks signatures: `X-Sandcastle-Signature` is the lowercase hex
/// HMAC-SHA256 of the raw body bytes, keyed with the secret's UTF-8 bytes.
public struct WebhookSigner: Sendable {
    public static let signatureHeader = "X-Sandcastle-Signature"
    public static let eventHeader = "X-Sandcastle-Event"
    public static let userAgent = "Sandcastle-Webhook/1.0"

    /// `nil` (or an empty secret) sends webhooks unsigned.
    public let secret: WebhookSecret?

    public init(secret: WebhookSecret?) {
        self.secret = secret.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The signature of `body`, or `nil` with no secret.
    public func signature(of body: [UInt8]) -> String? {
        secret.map { Self.signature(of: body, secret: $0) }
    }

    /// Every header a delivery sends: `Content-Type: application/json`,
    /// `User-Agent: Sandcastle-Webhook/1.0`, `X-Sandcastle-Event`, and with a secret `X-Sandcastle-Signature`.
    public func headers(for body: WebhookBody) -> HTTPHeaders {
        var headers: HTTPHeaders = [
            "Content-Type": "application/json",
            "User-Agent": Self.userAgent,
            Self.eventHeader: body.event.rawValue,
        ]
        if let signature = signature(of: body.bytes) { headers[Self.signatureHeader] = signature }
        return headers
    }

    /// Lowercase hex HMAC-SHA256 of `body` with `secret`.
    public static func signature(of body: [UInt8], secret: WebhookSecret) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: secret.key)
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in code {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// What a receiver does: `true` when `signature` (the header's value, hex in either case)
    /// is the HMAC of exactly these body bytes. The comparison takes the same time wherever
    /// the first difference is; anything that is not 64 hex digits is simply `false`.
    public static func verify(body: [UInt8], signature: String, secret: WebhookSecret) -> Bool {
        guard let code = hexBytes(signature), code.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: secret.key)
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
