import Foundation
import Guardrails
import JSONValues
import Synchronization

/// What the engine asks for a step's declared credentials.
public protocol CredentialSource: Sendable {
    /// The value of `name`, for one step's environment; records the use.
    func value(of name: String) throws -> String
}

/// Named credentials sealed in the state database (AES-256-GCM, the name as authenticated
/// data, the key's id beside each value). Everyone may list them masked; only the engine
/// reads a value (``value(of:)``), to put it in the environment of a step that declares it.
///
/// The key is loaded at first need, so a data folder whose workflows use no credentials never
/// gets a key file it does not need.
public final class CredentialVault: CredentialSource {
    public let database: SQLiteDatabase
    private let source: CredentialKeySource?
    private let loadedKey: Mutex<SecretBox?>

    /// The largest value accepted: an environment variable, not a file store.
    public static let maximumValueBytes = 64 * 1024

    /// A vault whose key comes from `SANDCASTLE_CREDENTIAL_KEY` or the data folder's key file.
    public init(database: SQLiteDatabase, keySource: CredentialKeySource) {
        self.database = database
        self.source = keySource
        self.loadedKey = Mutex(nil)
    }

    /// A vault under a given key.
    public init(database: SQLiteDatabase, key: SecretBox) {
        self.database = database
        self.source = nil
        self.loadedKey = Mutex(key)
    }

    /// The key everything is sealed under, loaded (and an interrupted rotation settled) once.
    public func key() throws -> SecretBox {
        if let key = loadedKey.withLock({ $0 }) { return key }
        guard let source else { throw CredentialError(.keyFile, "the vault has no key") }
        let loaded = try source.load(database: database)
        loadedKey.withLock { $0 = loaded }
        return loaded
    }

    /// Stores `value` under `name` (replacing an older value) and returns its masked record.
    @discardableResult
    public func set(_ name: String, value: String, at time: Date = Date()) throws -> CredentialRecord {
        if let problem = CredentialName.problem(name) { throw CredentialError(.invalidName, problem) }
        guard !value.isEmpty else {
            throw CredentialError(.emptyValue, "the value of credential `\(name)` is empty; give the secret itself")
        }
        guard value.utf8.count <= Self.maximumValueBytes else {
            throw CredentialError(
                .tooLarge, "the value of credential `\(name)` is \(value.utf8.count) bytes; at most \(Self.maximumValueBytes) are accepted")
        }
        guard !value.utf8.contains(0) else {
            throw CredentialError(.invalidName, "the value of credential `\(name)` holds a NUL byte, which no environment variable can carry")
        }
        let key = try key()
        // From now on the value is scrubbed from whatever this process stores or sends (issue 15 §5).
        ScrubbingSystem.register(exactValues: [value])
        let sealed = try key.seal(value, authenticating: name)
        // Stored and recorded on the global audit chain in one transaction (issue 15 §4); the
        // entry names the credential, never its value.
        try database.transaction { conn in
            try conn.execute(
                """
                INSERT INTO credentials (name, sealed_value, key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET sealed_value = excluded.sealed_value, key_id = excluded.key_id,
                    updated_at = excluded.updated_at
                """, [name, sealed, key.keyID, time, time])
            _ = try AuditLog.append(.global("credential.stored", payload: ["name": .string(name), "key_id": .string(key.keyID)]), on: conn)
        }
        guard let record = try record(name) else { throw CredentialError(.notFound, "credential `\(name)` vanished as it was stored") }
        return record
    }

    /// The value of `name`, for the engine only; the use is recorded in `last_used_at`.
    public func value(of name: String) throws -> String {
        if let problem = CredentialName.problem(name) { throw CredentialError(.invalidName, problem) }
        guard let row = try database.query("SELECT sealed_value, key_id FROM credentials WHERE name = ?", [name]).first else {
            throw CredentialError(
                .notFound, "no credential `\(name)` is stored; store it with `sandcastle credentials set \(name)`")
        }
        let value = try open(name: name, sealed: try row.get(0), keyID: try row.get(1), key: try key())
        // A value handed to a step is scrubbed from everything after, whoever stored it.
        ScrubbingSystem.register(exactValues: [value])
        try database.execute("UPDATE credentials SET last_used_at = ? WHERE name = ?", [Date(), name])
        return value
    }

    /// The masked record of `name`, or nil when there is none.
    public func record(_ name: String) throws -> CredentialRecord? {
        try database.query("SELECT \(Self.columns) FROM credentials WHERE name = ?", [name]).first.map { try record($0, key: try key()) }
    }

    /// Every credential, masked, by name.
    public func list() throws -> [CredentialRecord] {
        let rows = try database.query("SELECT \(Self.columns) FROM credentials ORDER BY name")
        guard !rows.isEmpty else { return [] }
        let key = try key()
        return try rows.map { try record($0, key: key) }
    }

    /// Removes `name`; false when there was none.
    @discardableResult
    public func delete(_ name: String) throws -> Bool {
        if let problem = CredentialName.problem(name) { throw CredentialError(.invalidName, problem) }
        return try database.transaction { conn in
            guard try conn.execute("DELETE FROM credentials WHERE name = ?", [name]) > 0 else { return false }
            _ = try AuditLog.append(.global("credential.deleted", payload: ["name": .string(name)]), on: conn)
            return true
        }
    }

    /// Every value this vault can open: the secret scrubber's list of exact values to remove
    /// from whatever is stored or sent. Values sealed under another key are skipped (they
    /// cannot reach a step either).
    public func allValues() throws -> [String] {
        let rows = try database.query("SELECT name, sealed_value, key_id FROM credentials ORDER BY name")
        guard !rows.isEmpty else { return [] }
        let key = try key()
        return rows.compactMap { row in
            try? open(name: try row.get(0), sealed: try row.get(1), keyID: try row.get(2), key: key)
        }
    }

    private static let columns = "name, sealed_value, key_id, created_at, updated_at, last_used_at"

    private func record(_ row: Row, key: SecretBox) throws -> CredentialRecord {
        let name: String = try row.get(0)
        let keyID: String = try row.get(2)
        let masked = keyID == key.keyID ? (try? open(name: name, sealed: try row.get(1), keyID: keyID, key: key)).map(CredentialMask.mask) : nil
        return CredentialRecord(
            name: name, masked: masked, keyID: keyID, createdAt: try row.get(3), updatedAt: try row.get(4), lastUsedAt: try row.get(5))
    }

    /// Opens a sealed value, or says which key it needs: a wrong key is never decrypted into garbage.
    func open(name: String, sealed: String, keyID: String, key: SecretBox) throws -> String {
        guard keyID == key.keyID else { throw Self.wrongKey(name: name, sealedUnder: keyID, given: key.keyID) }
        do {
            return try key.unseal(sealed, authenticating: name)
        } catch {
            throw CredentialError(
                .wrongKey, "credential `\(name)` does not open with key \(key.keyID) although it records that key: the row was altered")
        }
    }

    static func wrongKey(name: String, sealedUnder keyID: String, given: String) -> CredentialError {
        CredentialError(
            .wrongKey,
            "credential `\(name)` is sealed under key \(keyID) but the key in use is \(given); set \(CredentialKeySource.variable) "
                + "(or restore the data folder's credentials.key) to the key it was stored with")
    }
}
