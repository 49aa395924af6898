import Crypto
import Foundation
import JSONValues

/// Key rotation: every credential and every sealed sandbox environment is opened with the old
/// key and sealed with the new one in one transaction, which also records the new key's id.
///
/// The order keeps a crash harmless: (1) the new key is written beside the old one
/// (`credentials.key.next`), (2) the transaction re-seals and records the new id, (3) the new
/// file is renamed over the old. Dying before (2) commits leaves the rows under the old key and
/// the stray file is deleted at the next start; dying after leaves the rows under the new key,
/// and the next start finishes the rename (``CredentialKeySource/load(database:)``).
extension CredentialVault {
    /// What a rotation did.
    public struct KeyRotation: Sendable, Equatable {
        public var oldKeyID: String
        public var newKeyID: String
        public var credentials: Int
        public var sandboxEnvironments: Int
        /// False when the key comes from `SANDCASTLE_CREDENTIAL_KEY`: the person sets it to the new key.
        public var replacedKeyFile: Bool
    }

    /// Where a test stops a rotation, as a crash would.
    enum RotationStop: Sendable {
        /// After the new key file is written, before the transaction commits.
        case beforeCommit
        /// After the commit, before the rename.
        case beforeRename
    }

    struct SimulatedCrash: Error {}

    /// Re-seals everything under `newKey` (a random one when nil and the key is a file).
    public static func rotateKey(
        database: SQLiteDatabase, keySource: CredentialKeySource, newKey: SecretBox?
    ) throws -> KeyRotation {
        try rotateKey(database: database, keySource: keySource, newKey: newKey, stoppingAt: nil)
    }

    static func rotateKey(
        database: SQLiteDatabase, keySource: CredentialKeySource, newKey given: SecretBox?, stoppingAt stop: RotationStop?
    ) throws -> KeyRotation {
        let old = try keySource.load(database: database)
        guard let new = given ?? (keySource.usesEnvironment ? nil : SecretBox(key: SymmetricKey(size: .bits256))) else {
            throw CredentialError(
                .invalidKey,
                "the key comes from \(CredentialKeySource.variable): give the new one with --new-key-file or "
                    + "\(CredentialKeySource.newKeyVariable) (\(CredentialKeySource.howToMake))")
        }
        guard new.keyID != old.keyID else {
            throw CredentialError(.invalidKey, "the new key is the key in use (\(old.keyID)); \(CredentialKeySource.howToMake)")
        }
        let writesFile = !keySource.usesEnvironment
        let nextFile = keySource.nextKeyFile
        var counts = (credentials: 0, sandboxes: 0)
        do {
            counts = try database.transaction { conn in
                if writesFile { try CredentialKeySource.writeKey(new, to: nextFile) }
                if stop == .beforeCommit { throw SimulatedCrash() }
                var credentials = 0
                for row in try conn.query("SELECT name, sealed_value, key_id FROM credentials") {
                    let name: String = try row.get(0)
                    let keyID: String = try row.get(2)
                    guard keyID == old.keyID else {
                        throw CredentialError(
                            .wrongKey,
                            "cannot rotate: credential `\(name)` is sealed under key \(keyID), neither the key in use (\(old.keyID)) "
                                + "nor the new one; restore its key or delete it first")
                    }
                    let value = try CredentialVault(database: database, key: old).open(
                        name: name, sealed: try row.get(1), keyID: keyID, key: old)
                    try conn.execute(
                        "UPDATE credentials SET sealed_value = ?, key_id = ? WHERE name = ?",
                        [try new.seal(value, authenticating: name), new.keyID, name])
                    credentials += 1
                }
                var sandboxes = 0
                for row in try conn.query("SELECT id, env_json FROM sandboxes WHERE env_json LIKE ?", [SecretBox.prefix + "%"]) {
                    let id: String = try row.get(0)
                    let environment: String
                    do {
                        environment = try old.unseal(try row.get(1))
                    } catch {
                        throw CredentialError(
                            .wrongKey, "cannot rotate: the environment of sandbox \(id) does not open with the key in use (\(old.keyID))")
                    }
                    try conn.execute("UPDATE sandboxes SET env_json = ? WHERE id = ?", [try new.seal(environment), id])
                    sandboxes += 1
                }
                try conn.execute(
                    """
                    INSERT INTO secret_key_state (singleton, key_id, changed_at) VALUES (1, ?, ?)
                    ON CONFLICT (singleton) DO UPDATE SET key_id = excluded.key_id, changed_at = excluded.changed_at
                    """, [new.keyID, Date()])
                _ = try AuditLog.append(
                    .global(
                        "credential.key_rotated",
                        payload: [
                            "old_key_id": .string(old.keyID), "new_key_id": .string(new.keyID), "credentials": .integer(credentials),
                        ]), on: conn)
                return (credentials, sandboxes)
            }
        } catch is SimulatedCrash {
            throw SimulatedCrash()
        } catch {
            // Not committed: the old key stays the key.
            if writesFile { try? FileManager.default.removeItem(atPath: nextFile) }
            throw error
        }
        if stop == .beforeRename { throw SimulatedCrash() }
        if writesFile {
            guard rename(nextFile, keySource.keyFile) == 0 else {
                throw CredentialError(
                    .keyFile,
                    "the credentials are re-sealed under key \(new.keyID), but renaming \(nextFile) to \(keySource.keyFile) failed "
                        + "(\(String(cString: strerror(errno)))); the next start finishes it")
            }
            CredentialKeySource.syncFolder(of: keySource.keyFile)
        }
        return KeyRotation(
            oldKeyID: old.keyID, newKeyID: new.keyID, credentials: counts.credentials, sandboxEnvironments: counts.sandboxes,
            replacedKeyFile: writesFile)
    }
}
