#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address as the resolver returned it: 4 or 16 bytes in network order.
///
/// Addresses are compared and classified as bytes, never as text, so `0x7f.1`, `2130706433`
/// and `127.0.0.1` are one address once the resolver has read them.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: Sendable, Hashable { case v4, v6 }

    /// 4 bytes (IPv4) or 16 (IPv6), most significant first.
    public let bytes: [UInt8]

    /// `nil` unless `bytes` has 4 or 16 elements.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the canonical textual forms only (`inet_pton`: dotted-quad IPv4, IPv6 without a
    /// zone); the resolver, not this, reads the other spellings.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public var family: Family { bytes.count == 4 ? .v4 : .v6 }

    /// The IPv4 address as a number (`127.0.0.1` is `0x7f00_0001`); `nil` for IPv6.
    var v4Value: UInt32? {
        guard bytes.count == 4 else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The canonical text (`inet_ntop`): `127.0.0.1`, `::1`, `::ffff:127.0.0.1`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let written = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { inet_ntop(family, raw.baseAddress, $0.baseAddress, socklen_t($0.count)) }
        }
        guard written != nil else { return bytes.map { String($0) }.joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether the first `length` bits equal those of `prefix` (same family).
    func hasPrefix(_ prefix: [UInt8], length: Int) -> Bool {
        guard prefix.count == bytes.count, length <= bytes.count * 8 else { return false }
        var remaining = length
        var index = 0
        while remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != prefix[index] & mask { return false }
            remaining -= bits
            index += 1
        }
        return true
    }
}
