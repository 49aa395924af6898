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
        let box = try AES.GCM.seal(Data(text.utf8), using: key)
        guard let combined = box.combined else { throw StoreError(.internal, "AES-GCM gave no combined form") }
        return Self.prefix + combined.base64EncodedString()
    }

    /// The text `seal` was given; an unsealed value as it is.
    public func unseal(_ stored: String) throws -> String {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))) else {
            throw StoreError(.corrupt, "a sealed value is not base64")
        }
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw StoreError(.corrupt, "a sealed value does not open with this data folder's key (was the key file replaced?)", cause: error)
        }
    }
}
