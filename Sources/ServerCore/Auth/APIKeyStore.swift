import Crypto
import Sandbox

/// The accepted API keys, kept only as SHA-256 digests.
///
/// A presented key is hashed and compared with every stored digest in constant time, so
/// neither the comparison's duration nor its order tells an attacker how close a guess was.
public struct APIKeyStore: Sendable {
    private let digests: [[UInt8]]

    public init(digests: [[UInt8]]) {
        self.digests = digests
    }

    public var isEmpty: Bool { digests.isEmpty }

    /// The id of the key `presented` matches, or nil. The id is derived from the digest
    /// (never the secret) and is what records and limits are keyed by.
    public func authenticate(_ presented: String) -> String? {
        let candidate = Self.digest(presented)
        var match: [UInt8]?
        for digest in digests where Self.constantTimeEqual(digest, candidate) {
            match = digest
        }
        return match.map(Self.keyID)
    }

    /// `key_` + the hex SHA-256 of the key digest's first 6 bytes (64 hex digits, as
    /// docs/server.md says); the ids records already carry are these, so the form stays.
    public static func keyID(_ digest: [UInt8]) -> String {
        "key_" + SHA256.hash(data: digest.prefix(6)).hex
    }

    public static func digest(_ key: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }

    /// Compares every byte whatever the inputs, so timing does not depend on where they differ.
    package static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.lowercased().utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
