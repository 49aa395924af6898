import Crypto

extension Digest {
    /// Lowercase hex: how content keys, checksums and API-key ids write a digest.
    public var hex: String {
        map { byte in byte < 0x10 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined()
    }
}
