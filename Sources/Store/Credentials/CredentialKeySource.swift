import Crypto
import Foundation

/// Where the data folder's secret key comes from: `SANDCASTLE_CREDENTIAL_KEY` (32 bytes in
/// base64 or hex) when set, else the key file `credentials.key` in the data folder, made with
/// mode 0600 on first use. The same key seals the credentials and the server's sandbox
/// environments (``SecretBox``), so a rotation re-seals both.
public struct CredentialKeySource: Sendable {
    /// The variable that holds the key instead of the key file.
    public static let variable = "SANDCASTLE_CREDENTIAL_KEY"
    /// Where `credentials rotate-key` reads the new key when no `--new-key-file` is given.
    public static let newKeyVariable = "SANDCASTLE_NEW_CREDENTIAL_KEY"
    /// How a person makes a key.
    public static let howToMake = "make one with `openssl rand -base64 32`"

    /// The key file used when ``environmentKey`` is nil.
    public let keyFile: String
    /// The text of `SANDCASTLE_CREDENTIAL_KEY`, when set (never printed).
    let environmentKey: String?

    public init(dataDirectory: String, environment: [String: String]) {
        keyFile = DataFolder.keyFile(in: dataDirectory)
        environmentKey = environment[Self.variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the key comes from `SANDCASTLE_CREDENTIAL_KEY` (a rotation then has no file to replace).
    public var usesEnvironment: Bool { environmentKey != nil }

    /// The new key a rotation writes first, renamed over ``keyFile`` once the database is re-sealed.
    public var nextKeyFile: String { keyFile + ".next" }

    /// A key written as base64 or hex of exactly 32 bytes; `origin` names where it came from.
    public static func parseKey(_ text: String, from origin: String) throws -> SecretBox {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let bytes = hexBytes(trimmed) ?? Data(base64Encoded: trimmed).map(Array.init), bytes.count == 32 {
            return SecretBox(key: SymmetricKey(data: bytes))
        }
        throw CredentialError(
            .invalidKey, "\(origin) is not a key: it must be 32 bytes written in base64 or hex; \(howToMake)")
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    /// The key, after finishing or undoing a rotation a crash interrupted (``database`` tells
    /// which key its rows are sealed under). The key file is created on first use.
    public func load(database: SQLiteDatabase) throws -> SecretBox {
        let box: SecretBox
        if let environmentKey {
            box = try Self.parseKey(environmentKey, from: Self.variable)
        } else {
            try finishInterruptedRotation(database: database)
            do {
                box = try SecretBox.loadOrCreate(keyFile: keyFile)
            } catch {
                throw CredentialError(.keyFile, "\(error)")
            }
        }
        try database.execute(
            "INSERT OR IGNORE INTO secret_key_state (singleton, key_id, changed_at) VALUES (1, ?, ?)", [box.keyID, Date()])
        return box
    }

    /// A rotation writes ``nextKeyFile`` inside its transaction and renames it after the commit.
    /// Found here, it means the process died in between: the database's recorded key id says
    /// whether the re-sealing committed (rename it into place) or not (delete it). Done inside a
    /// write transaction, so a rotation still under way in another process finishes first.
    func finishInterruptedRotation(database: SQLiteDatabase) throws {
        guard FileManager.default.fileExists(atPath: nextKeyFile) else { return }
        let (keyFile, nextKeyFile) = (self.keyFile, self.nextKeyFile)
        try database.transaction { conn in
            guard let data = FileManager.default.contents(atPath: nextKeyFile) else { return }
            let recorded: String? = try conn.queryOne("SELECT key_id FROM secret_key_state WHERE singleton = 1")?.get(0)
            let next = SecretBox(key: SymmetricKey(data: data))
            if data.count == 32, recorded == next.keyID {
                guard rename(nextKeyFile, keyFile) == 0 else {
                    throw CredentialError(
                        .keyFile,
                        "cannot finish the interrupted key rotation: renaming \(nextKeyFile) to \(keyFile) failed: \(String(cString: strerror(errno)))"
                    )
                }
                Self.syncFolder(of: keyFile)
            } else {
                try? FileManager.default.removeItem(atPath: nextKeyFile)
            }
        }
    }

    /// Makes a rename durable: the folder's entry is what changed.
    static func syncFolder(of path: String) {
        let fd = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Writes `box`'s key to a new file (0600, created exclusively, synced).
    static func writeKey(_ box: SecretBox, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CredentialError(.keyFile, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let bytes = box.rawKey
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw CredentialError(.keyFile, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
