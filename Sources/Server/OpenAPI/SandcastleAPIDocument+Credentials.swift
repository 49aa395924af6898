/// Named credentials in the `/api` document (ServerCompat's SandcastleAPIController+Credentials,
/// docs/api.md "Credentials"): admin keys only, values answered masked, never in full.
extension OpenAPI {
    static let credentialSchemas: KeyValuePairs<String, Schema> = [
        "Credential": .object(
            [
                "name": Schema.string.described("`service:connection`, e.g. `github:default`"),
                "masked_value": Schema.string.orNull.described(
                    "the first 4 and last 4 characters (`ghp_...f00d`), `****` under 12 characters; null when sealed under another key"),
                "key_id": Schema.string.described("the first 16 hex digits of SHA-256 of the key that sealed it"),
                "created_at": Schema.dateTime.orNull, "updated_at": Schema.dateTime.orNull, "last_used_at": Schema.dateTime.orNull,
            ], required: ["name", "masked_value", "key_id"]),
        "CredentialValue": .object(
            ["value": Schema.string.matching(#"^[^\u0000]+$"#).described("the secret; at most 65536 bytes; never answered back")],
            required: ["value"]
        ).closed.withExamples(["value": "my token, sent once"]),
    ]

    /// `service:connection`, each part `[a-z0-9_.-]`, at most 100 characters (``CredentialName``).
    private static let credentialName = Schema.string.matching("^[a-z0-9_.-]+:[a-z0-9_.-]+$").lengths(3...100)
    private static let credentialErrors: ErrorResponses = [
        403: "a tenant key (`FORBIDDEN`)",
        422: "a name other than `service:connection` in `[a-z0-9_.-]`, at most 100 characters (`INVALID_NAME`)",
    ]

    static let credentialOperations: [Operation] = [
        api(
            .get, "/credentials", tag: "credentials", summary: "Every stored credential, masked (admin)",
            returns: ok("the credentials", .array(of: .ref("Credential")), paged: true), errors: [403: "a tenant key (`FORBIDDEN`)"]),
        api(
            .get, "/credentials/{name}", tag: "credentials", summary: "One credential, masked (admin)",
            returns: ok("the credential", .ref("Credential")), errors: credentialErrors + [404: "no such credential (`NOT_FOUND`)"],
            pathSchemas: ["name": credentialName]),
        api(
            .put, "/credentials/{name}", tag: "credentials",
            summary: "Store a credential, sealed with AES-256-GCM; replaces an older value (admin). Answers it masked",
            body: .json(.ref("CredentialValue")), returns: ok("stored", .ref("Credential")),
            errors: credentialErrors + [
                422: "a bad name (`INVALID_NAME`), or an empty, too large or missing `value` (`VALIDATION_ERROR`)"
            ], pathSchemas: ["name": credentialName]),
        api(
            .delete, "/credentials/{name}", tag: "credentials", summary: "Delete a credential (admin)",
            returns: ok("deleted", .object(["deleted": .boolean, "name": .string], required: ["deleted", "name"])),
            errors: credentialErrors + [404: "no such credential (`NOT_FOUND`)"], pathSchemas: ["name": credentialName]),
    ]
}
