/// Named credentials (issue 15 §5): values a step declares and receives as environment
/// variables, sealed with AES-256-GCM under the data folder's key. The name is bound into each
/// seal (GCM's authenticated data), so a sealed value copied to another row does not open.
extension Schema {
    static let v10 = Migration(
        version: 10, name: "credentials",
        sql: """
            CREATE TABLE credentials (
                -- `service:connection`, e.g. `github:default`: [a-z0-9_.-], at most 100 characters.
                name          TEXT PRIMARY KEY,
                -- `aesgcm:` + base64(nonce, ciphertext, tag); never the value in clear.
                sealed_value  TEXT NOT NULL,
                -- The first 16 hex digits of SHA-256 of the key that sealed it: a wrong key is
                -- named, never decrypted into garbage.
                key_id        TEXT NOT NULL,
                created_at    INTEGER NOT NULL,
                updated_at    INTEGER NOT NULL,
                last_used_at  INTEGER
            );

            -- The id of the key everything sealed in this database is under (credentials and the
            -- server's sandbox environments). Changed in the transaction that re-seals them, so
            -- an interrupted key rotation can tell which of the two key files is the right one.
            CREATE TABLE secret_key_state (
                singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
                key_id      TEXT NOT NULL,
                changed_at  INTEGER NOT NULL
            );
            """)
}
