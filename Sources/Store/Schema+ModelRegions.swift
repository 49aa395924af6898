extension Schema {
    /// Data residency (issue 15 §6): each model call records the region its model processed
    /// the data in, and how many PII entities the privacy router replaced in its request.
    static let v12 = Migration(
        version: 12, name: "model call regions, redaction counts",
        sql: """
            -- `eu`, `us`, `local`, … as the models file gives the model; NULL when unknown (and
            -- for calls recorded before this version).
            ALTER TABLE model_calls ADD COLUMN region TEXT;
            -- PII entities replaced by placeholders in the request before it was sent (0 when the
            -- privacy router's `prompts` target was off).
            ALTER TABLE model_calls ADD COLUMN pii_redacted INTEGER NOT NULL DEFAULT 0;
            """)
}
