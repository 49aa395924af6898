import Store

extension RunService {
    /// Re-seals every credential and sealed sandbox environment of the data folder under a new
    /// key (`newKeyText`, base64 or hex of 32 bytes, read from `origin`; a random one when nil
    /// and the key is the data folder's file), then replaces the key file. Run it with the
    /// server stopped: a running server keeps the old key in memory.
    public func rotateCredentialKey(newKeyText: String?, origin: String) throws -> CredentialVault.KeyRotation {
        let newKey = try newKeyText.map { try CredentialKeySource.parseKey($0, from: origin) }
        return try CredentialVault.rotateKey(
            database: repository.database,
            keySource: CredentialKeySource(dataDirectory: settings.dataDirectory, environment: settings.environment),
            newKey: newKey)
    }
}
