/// A valid-looking fake of a secret format: random characters of the right alphabet and length
/// behind the real prefix, in the context the format needs (a keyword, a URL). The recall tests
/// and `sandcastle bench scrub` embed them in prose, logs, JSON, YAML and env files.
public struct FakeSecret: Sendable {
    public let format: String
    /// The text to embed.
    public let text: String
    /// The part of `text` the scrubber must remove.
    public let secret: String
}

extension SecretFormat {
    enum Alphabet {
        static let alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        static let upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        static let letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        static let lowerHex = "0123456789abcdef"
        static let base64URL = alnum + "-_"
        static let base64 = alnum + "+/"
        static let digits = "0123456789"
    }

    /// A fake of this format, or nil for `exact_value` (whose values the caller chooses).
    public func fake(using random: inout SeededRandom) -> FakeSecret? {
        func token(_ text: String) -> FakeSecret { FakeSecret(format: id, text: text, secret: text) }
        func keyed(_ text: String, _ secret: String) -> FakeSecret { FakeSecret(format: id, text: text, secret: secret) }
        typealias A = Alphabet
        switch id {
        case "slack_token":
            let kind = random.pick(["b", "p", "a", "r", "s"])
            return token("xox\(kind)-\(random.string(A.digits, count: 12))-\(random.string(A.digits, count: 13))-\(random.mixedString(A.alnum, count: 24))")
        case "slack_webhook":
            let path =
                "hooks.slack.com/services/T\(random.string(A.upperAlnum, count: 10))/B\(random.string(A.upperAlnum, count: 10))/\(random.string(A.alnum, count: 24))"
            return keyed("https://\(path)", path)
        case "discord_bot_token":
            let first = random.pick(["M", "N", "O"]) + random.mixedString(A.alnum, count: 25)
            return token("\(first).\(random.string(A.base64URL, count: 6)).\(random.string(A.base64URL, count: 38))")
        case "discord_webhook":
            let path = "discord.com/api/webhooks/\(random.string("123456789", count: 18))/\(random.string(A.base64URL, count: 68))"
            return keyed("https://\(path)", path)
        case "twilio_key": return token(random.pick(["AC", "SK"]) + random.string(A.lowerHex, count: 32))
        case "sendgrid_key": return token("SG.\(random.string(A.base64URL, count: 22)).\(random.string(A.base64URL, count: 43))")
        case "resend_key": return token("re_\(random.mixedString(A.alnum, count: 8))_\(random.mixedString(A.alnum, count: 24))")
        case "openai_key": return token("sk-\(random.mixedString(A.alnum, count: 48))")
        case "openai_project_key": return token("sk-proj-\(random.string(A.base64URL, count: 120))")
        case "openai_service_account_key": return token("sk-svcacct-\(random.string(A.base64URL, count: 80))")
        case "anthropic_key": return token("sk-ant-api03-\(random.string(A.base64URL, count: 93))AA")
        case "anthropic_admin_key": return token("sk-ant-admin01-\(random.string(A.base64URL, count: 93))AA")
        case "aws_access_key":
            return token(random.pick(["AKIA", "ASIA", "AROA", "AIDA"]) + random.string(A.upperAlnum, count: 16))
        case "aws_secret_key":
            let secret = random.string(A.base64, count: 40)
            let line = random.pick(["aws_secret_access_key = \(secret)", "AWS_SECRET_ACCESS_KEY=\(secret)", "\"aws_secret_access_key\": \"\(secret)\""])
            return keyed(line, secret)
        case "github_token":
            return token("gh\(random.pick(["p", "o", "u", "s", "r"]))_\(random.string(A.alnum, count: 36))")
        case "github_pat": return token("github_pat_\(random.string(A.alnum, count: 22))_\(random.string(A.alnum, count: 59))")
        case "gitlab_token": return token("glpat-\(random.string(A.base64URL, count: 20))")
        case "stripe_key":
            return token(
                "\(random.pick(["sk", "rk"]))_\(random.pick(["live", "test"]))_\(random.string(A.alnum, count: 24 + Int.random(in: 0...75, using: &random)))")
        case "stripe_webhook_secret": return token("whsec_\(random.string(A.alnum, count: 32))")
        case "google_api_key": return token("AIza\(random.string(A.base64URL, count: 35))")
        case "jwt":
            return token("eyJ\(random.string(A.base64URL, count: 33)).eyJ\(random.string(A.base64URL, count: 60)).\(random.string(A.base64URL, count: 43))")
        case "azure_storage_key":
            let key = random.string(A.base64, count: 86) + "=="
            let connection =
                "DefaultEndpointsProtocol=https;AccountName=\(random.string("abcdefghijklmnopqrstuvwxyz", count: 10));AccountKey=\(key);EndpointSuffix=core.windows.net"
            return keyed(connection, key)
        case "datadog_key":
            let key = random.string(A.lowerHex, count: random.pick([32, 40]))
            return keyed(random.pick(["DD_API_KEY=\(key)", "datadog_app_key: \(key)", "\"dd_api_key\": \"\(key)\""]), key)
        case "npm_token": return token("npm_\(random.string(A.alnum, count: 36))")
        case "pypi_token": return token("pypi-AgEIcHlwaS5vcmc\(random.string(A.base64URL, count: 70))")
        case "huggingface_token": return token("hf_\(random.string(A.letters, count: 34))")
        case "shopify_token": return token("\(random.pick(["shpat", "shpss", "shpca", "shppa"]))_\(random.string(A.lowerHex, count: 32))")
        case "mailgun_key": return token("key-\(random.string(A.lowerHex, count: 32))")
        case "hubspot_token":
            let uuid = [8, 4, 4, 4, 12].map { random.string(A.lowerHex, count: $0) }.joined(separator: "-")
            return token("pat-\(random.pick(["na1", "eu1"]))-\(uuid)")
        case "linear_key": return token("lin_api_\(random.string(A.alnum, count: 40))")
        case "digitalocean_token": return token("\(random.pick(["dop", "doo", "dor"]))_v1_\(random.string(A.lowerHex, count: 64))")
        case "vault_token": return token("hvs.\(random.string(A.base64URL, count: 90))")
        case "atlassian_token": return token("ATATT3xFfGF0\(random.string(A.base64URL, count: 170))=\(random.string("0123456789ABCDEF", count: 8))")
        case "groq_key": return token("gsk_\(random.string(A.alnum, count: 52))")
        case "tavily_key": return token("tvly-\(random.pick(["", "dev-"]))\(random.mixedString(A.alnum, count: 32))")
        case "telegram_bot_token":
            return token("\(random.string("123456789", count: 1))\(random.string(A.digits, count: 8)):AA\(random.mixedString(A.base64URL, count: 33))")
        case "postman_key": return token("PMAK-\(random.string(A.lowerHex, count: 24))-\(random.string(A.lowerHex, count: 34))")
        case "sentry_token":
            return token(random.pick(["sntrys_eyJ\(random.string(A.base64, count: 80))", "sntryu_\(random.string(A.lowerHex, count: 64))"]))
        case "supabase_token": return token("sbp_\(random.string(A.lowerHex, count: 40))")
        case "pinecone_key": return token("pcsk_\(random.mixedString(A.alnum, count: 6))_\(random.mixedString(A.alnum, count: 60))")
        case "elevenlabs_key": return token("sk_\(random.string(A.lowerHex, count: 48))")
        case "airtable_token": return token("pat\(random.string(A.alnum, count: 14)).\(random.string(A.lowerHex, count: 64))")
        case "bearer_token":
            let credential = random.mixedString(A.base64URL + ".~+/", count: 40)
            return keyed("Authorization: Bearer \(credential)", credential)
        case "private_key":
            let label = random.pick(["RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", ""]) + "PRIVATE KEY"
            let lines = (0..<Int.random(in: 4...9, using: &random)).map { _ in random.string(A.base64, count: 64) }
            return token("-----BEGIN \(label)-----\n\(lines.joined(separator: "\n"))\n\(random.string(A.base64, count: 20))==\n-----END \(label)-----")
        case "connection_url":
            let scheme = random.pick(["postgres", "postgresql", "mysql", "mongodb", "mongodb+srv", "redis", "rediss", "amqp", "amqps"])
            let password = random.mixedString(A.alnum + "-_.~!*", count: 16)
            let user = scheme.hasPrefix("redis") ? "" : random.string("abcdefghijklmnopqrstuvwxyz", count: 6)
            return keyed("\(scheme)://\(user):\(password)@db-\(random.string(A.digits, count: 2)).internal.example:5432/app", password)
        case "secret_field":
            let value = random.mixedString(A.alnum, count: 6) + random.string(A.alnum + "-_.+", count: 10)
            let key = random.pick(["password", "db_password", "client_secret", "api_key", "apiKey", "access_token", "passphrase", "private_key"])
            let line = random.pick([
                "\"\(key)\": \"\(value)\"", "\(key): \(value)", "\(key.uppercased())=\(value)", "\(key) = '\(value)'", "X-Api-Key: \(value)",
            ])
            return keyed(line, value)
        default:
            return nil
        }
    }
}
