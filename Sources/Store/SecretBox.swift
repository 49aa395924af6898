import Crypto
import Foundation

/// Seals values the store must keep but nobody should read from its file (a sandbox's
/// environment, later provider credentials): AES-256-GCM under a key kept in its own file
/// beside the database, created once with mode 0600.
///
/// A sealed value is `aesgcm:` and the base64 of nonce, ciphertext and tag. A value without
/// the prefix (written before sealing existed) is read as it is and sealed at its next write.
public struct SecretBox: Sendable {
    /// The raw key (`SymmetricKey` is not `Sendable`; one is made per use, which costs nothing).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// The key's public name: the first 16 hex digits of its SHA-256. Recorded beside what it
    /// sealed, so a wrong key is named in an error instead of failing as "corrupt".
    public var keyID: String {
        SHA256.hash(data: keyBytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The raw key, for writing it to a key file during a rotation.
    var rawKey: [UInt8] { keyBytes }

    static let prefix = "aesgcm:"

    /// The key in `path`, made (32 random bytes, mode 0600) when there is none yet. Two
    /// processes starting at once agree: the file is created exclusively, and the loser reads it.
    public static func loadOrCreate(keyFile path: String) throws -> SecretBox {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw StoreError(.corrupt, "the key file \(path) holds \(data.count) bytes, not 32; restore it from a backup")
            }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return try loadOrCreate(keyFile: path) }
            throw StoreError(.io, "cannot create the key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw StoreError(.io, "cannot write the key file \(path): \(String(cString: strerror(errno)))")
        }
        return SecretBox(key: key)
    }

    public func seal(_ text: String) throws -> String {
        try seal(text, authenticating: nil)
    }

    /// Seals `text` bound to `context` (GCM's authenticated data, e.g. a credential's name): the
    /// result opens only with the same context, so a sealed value moved to another row fails.
    public func seal(_ text: String, authenticating context: String?) throws -> String {
        let box =
            try context.map { try AES.GCM.seal(Data(text.utf8), using: key, authenticating: Data($0.utf8)) }
            ?? AES.GCM.seal(Data(text.utf8), using: key)
        guard let combined = box.combined else { throw StoreError(.internal, "AES-GCM gave no combined form") }
        return Self.prefix + combined.base64EncodedString()
    }

    /// The text `seal` was given; an unsealed value as it is.
    public func unseal(_ stored: String) throws -> String {
        try unseal(stored, authenticating: nil)
    }

    /// The text `seal(_:authenticating:)` was given with the same `context`.
    public func unseal(_ stored: String, authenticating context: String?) throws -> String {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else {
            throw StoreError(.corrupt, "a sealed value is not base64")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            let plain = try context.map { try AES.GCM.open(box, using: key, authenticating: Data($0.utf8)) } ?? AES.GCM.open(box, using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw StoreError(.corrupt, "a sealed value does not open with this data folder's key (was the key file replaced?)", cause: error)
        }
    }
}
