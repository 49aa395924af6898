/// A credential that starts with a literal prefix: the scanner tries the rules whose prefix
/// starts with the byte at a word start, longest prefix first, and each validates what follows
/// with a small hand-written matcher. `match` returns the byte range to redact, or nil.
struct TokenRule: Sendable {
    let format: String
    let prefix: [UInt8]
    let match: @Sendable (_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>?

    init(_ format: String, _ prefix: String, match: @escaping @Sendable (ByteText, Int, Int) -> Range<Int>?) {
        self.format = format
        self.prefix = Array(prefix.utf8)
        self.match = match
    }

    /// The common shape: the prefix, then a run of `body` bytes of `length`, then a word end.
    /// `mixed`: the body must hold a letter and a digit, as random keys do and words do not.
    init(_ format: String, _ prefix: String, body: ByteSet, length: ClosedRange<Int>, mixed: Bool = false) {
        self.init(format, prefix) { text, start, bodyStart in
            let end = text.run(of: body, from: bodyStart, limit: length.upperBound + 1)
            guard length.contains(end - bodyStart), text.isWordEnd(end) else { return nil }
            guard !mixed || Self.isMixed(text, bodyStart..<end) else { return nil }
            return start..<end
        }
    }

    static func isMixed(_ text: ByteText, _ range: Range<Int>) -> Bool {
        var letter = false
        var digit = false
        for index in range {
            let byte = text[index]
            if Bytes.isDigit(byte) { digit = true } else if Bytes.isAlpha(byte) { letter = true }
            if letter && digit { return true }
        }
        return false
    }
}

extension TokenRule {
    static let all: [TokenRule] = slack + cloud + sourceControl + aiProviders + payments + saas + custom

    private static let slack: [TokenRule] =
        ["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-"].map {
            TokenRule("slack_token", $0, body: .base64URL.union(ByteSet(ascii: "-")), length: 10...255, mixed: true)
        } + [TokenRule("slack_webhook", "hooks.slack.com", match: slackWebhook)]

    private static let cloud: [TokenRule] =
        ["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA", "APKA", "ASCA"].map {
            TokenRule("aws_access_key", $0, body: .upperAlnum, length: 16...16)
        } + [
            TokenRule("google_api_key", "AIza", body: .base64URL, length: 35...35),
            TokenRule("azure_storage_key", "AccountKey=", match: azureAccountKey),
            TokenRule("vault_token", "hvs.", body: .base64URL, length: 24...255),
            TokenRule("vault_token", "hvb.", body: .base64URL, length: 24...255),
            TokenRule("vault_token", "hvr.", body: .base64URL, length: 24...255),
            TokenRule("digitalocean_token", "dop_v1_", body: .lowerHex, length: 64...64),
            TokenRule("digitalocean_token", "doo_v1_", body: .lowerHex, length: 64...64),
            TokenRule("digitalocean_token", "dor_v1_", body: .lowerHex, length: 64...64),
            TokenRule("supabase_token", "sbp_", body: .alnum, length: 40...40),
            TokenRule("pinecone_key", "pcsk_", body: .word, length: 40...255, mixed: true),
        ]

    private static let sourceControl: [TokenRule] =
        ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].map { TokenRule("github_token", $0, body: .alnum, length: 30...255) } + [
            TokenRule("github_pat", "github_pat_", body: .word, length: 40...255),
            TokenRule("gitlab_token", "glpat-", body: .base64URL, length: 20...64),
            TokenRule("npm_token", "npm_", body: .alnum, length: 36...36),
            TokenRule("pypi_token", "pypi-AgE", body: .base64URL, length: 50...1024),
            TokenRule("atlassian_token", "ATATT", body: .base64URL.union(ByteSet(ascii: "=")), length: 50...1024),
            TokenRule("linear_key", "lin_api_", body: .alnum, length: 32...64),
            TokenRule("postman_key", "PMAK-", body: .lowerHex.union(ByteSet(ascii: "-")), length: 59...59),
            TokenRule("sentry_token", "sntrys_", body: .base64.union(ByteSet(ascii: "=_")), length: 50...1024),
            TokenRule("sentry_token", "sntryu_", body: .lowerHex, length: 64...64),
        ]

    private static let aiProviders: [TokenRule] = [
        TokenRule("anthropic_key", "sk-ant-api", body: .base64URL, length: 20...255),
        TokenRule("anthropic_admin_key", "sk-ant-admin", body: .base64URL, length: 20...255),
        TokenRule("openai_project_key", "sk-proj-", body: .base64URL, length: 20...255),
        TokenRule("openai_service_account_key", "sk-svcacct-", body: .base64URL, length: 20...255),
        TokenRule("openai_key", "sk-", body: .base64URL, length: 20...255, mixed: true),
        TokenRule("groq_key", "gsk_", body: .alnum, length: 40...64),
        TokenRule("tavily_key", "tvly-", body: .base64URL, length: 20...64, mixed: true),
        TokenRule("huggingface_token", "hf_", body: .alnum, length: 30...40),
        TokenRule("elevenlabs_key", "sk_", body: .lowerHex, length: 48...48),
    ]

    private static let payments: [TokenRule] =
        ["sk_live_", "sk_test_", "rk_live_", "rk_test_"].map { TokenRule("stripe_key", $0, body: .alnum, length: 16...255) } + [
            TokenRule("stripe_webhook_secret", "whsec_", body: .alnum, length: 24...255),
            TokenRule("shopify_token", "shpat_", body: .hex, length: 32...32),
            TokenRule("shopify_token", "shpss_", body: .hex, length: 32...32),
            TokenRule("shopify_token", "shpca_", body: .hex, length: 32...32),
            TokenRule("shopify_token", "shppa_", body: .hex, length: 32...32),
        ]

    private static let saas: [TokenRule] = [
        TokenRule("twilio_key", "AC", body: .lowerHex, length: 32...32),
        TokenRule("twilio_key", "SK", body: .lowerHex, length: 32...32),
        TokenRule("resend_key", "re_", body: .word, length: 20...64, mixed: true),
        TokenRule("mailgun_key", "key-", body: .lowerHex, length: 32...32),
        TokenRule("hubspot_token", "pat-", match: hubspotToken),
        TokenRule("airtable_token", "pat", match: airtableToken),
        TokenRule("sendgrid_key", "SG.", match: sendgridKey),
    ]

    private static let custom: [TokenRule] =
        ["M", "N", "O"].map { TokenRule("discord_bot_token", $0, match: discordBotToken) } + [
            TokenRule("discord_webhook", "discord.com", match: discordWebhook),
            TokenRule("discord_webhook", "discordapp.com", match: discordWebhook),
            TokenRule("jwt", "eyJ", match: jsonWebToken),
            TokenRule("bearer_token", "Bearer", match: bearerToken),
            TokenRule("bearer_token", "bearer", match: bearerToken),
            TokenRule("bearer_token", "BEARER", match: bearerToken),
        ]
}

// MARK: - The matchers of the formats that are more than a prefix and one run.

extension TokenRule {
    private static let slackServices = Array("/services/".utf8)
    private static let slackWorkflows = Array("/workflows/".utf8)
    private static let discordWebhooks = Array("/api/webhooks/".utf8)
    private static let jsonObjectStart = Array("eyJ".utf8)

    /// `hooks.slack.com/services/T…/B…/<secret>` (also `\/`-escaped, as JSONEncoder writes it).
    static func slackWebhook(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        guard
            var position = text.matchingSlashes(slackServices, at: bodyStart)
                ?? text.matchingSlashes(slackWorkflows, at: bodyStart)
        else { return nil }
        for part in 0..<3 {
            let end = text.run(of: .base64URL, from: position, limit: 128)
            guard end - position >= 8 else { return nil }
            position = end
            if part < 2 {
                let slash = text.slash(at: position)
                guard slash > 0 else { return nil }
                position += slash
            }
        }
        return start..<position
    }

    /// `discord.com/api/webhooks/<id>/<token>`.
    static func discordWebhook(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        guard var position = text.matchingSlashes(discordWebhooks, at: bodyStart) else { return nil }
        let idEnd = text.run(of: .digits, from: position, limit: 32)
        guard idEnd - position >= 10 else { return nil }
        position = idEnd
        let slash = text.slash(at: position)
        guard slash > 0 else { return nil }
        position += slash
        let end = text.run(of: .base64URL, from: position, limit: 256)
        guard end - position >= 40 else { return nil }
        return start..<end
    }

    /// A Discord bot token: the bot's id in base64, a timestamp, an HMAC, joined by dots.
    static func discordBotToken(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        let first = text.run(of: .base64URL, from: start, limit: 28)
        guard (24...28).contains(first - start), text.at(first) == Bytes.dot else { return nil }
        let second = text.run(of: .base64URL, from: first + 1, limit: 8)
        guard (6...7).contains(second - first - 1), text.at(second) == Bytes.dot else { return nil }
        let third = text.run(of: .base64URL, from: second + 1, limit: 41)
        guard (27...40).contains(third - second - 1), text.isWordEnd(third) else { return nil }
        guard isMixed(text, start..<first) else { return nil }
        return start..<third
    }

    /// `SG.<22>.<43>`.
    static func sendgridKey(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        let first = text.run(of: .base64URL, from: bodyStart, limit: 33)
        guard (16...32).contains(first - bodyStart), text.at(first) == Bytes.dot else { return nil }
        let second = text.run(of: .base64URL, from: first + 1, limit: 51)
        guard (40...50).contains(second - first - 1), text.isWordEnd(second) else { return nil }
        return start..<second
    }

    /// `pat-na1-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (region letters, a digit, a UUID).
    static func hubspotToken(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        guard Bytes.isLower(text.at(bodyStart)), Bytes.isLower(text.at(bodyStart + 1)), Bytes.isDigit(text.at(bodyStart + 2)),
            text.at(bodyStart + 3) == Bytes.dash
        else { return nil }
        var position = bodyStart + 4
        for (index, length) in [8, 4, 4, 4, 12].enumerated() {
            let end = text.run(of: .lowerHex, from: position, limit: length + 1)
            guard end - position == length else { return nil }
            position = end
            if index < 4 {
                guard text.at(position) == Bytes.dash else { return nil }
                position += 1
            }
        }
        return text.isWordEnd(position) ? start..<position : nil
    }

    /// `pat<14 alphanumerics>.<64 hex>`.
    static func airtableToken(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        let first = text.run(of: .alnum, from: bodyStart, limit: 15)
        guard first - bodyStart == 14, text.at(first) == Bytes.dot else { return nil }
        let second = text.run(of: .lowerHex, from: first + 1, limit: 65)
        guard second - first - 1 == 64, text.isWordEnd(second) else { return nil }
        return start..<second
    }

    /// A signed JWT: header and payload both JSON objects in base64url ("eyJ"), a signature.
    static func jsonWebToken(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        let header = text.run(of: .base64URL, from: bodyStart)
        guard header - bodyStart >= 5, text.at(header) == Bytes.dot, text.has(jsonObjectStart, at: header + 1) else {
            return nil
        }
        let payload = text.run(of: .base64URL, from: header + 4)
        guard payload - header - 4 >= 5, text.at(payload) == Bytes.dot else { return nil }
        let signature = text.run(of: .base64URL, from: payload + 1)
        guard signature - payload - 1 >= 10, text.isWordEnd(signature) else { return nil }
        return start..<signature
    }

    /// `AccountKey=<base64>` in an Azure connection string: the value only.
    static func azureAccountKey(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        var end = text.run(of: .base64, from: bodyStart, limit: 129)
        guard (40...128).contains(end - bodyStart) else { return nil }
        while end - bodyStart < 132, text.at(end) == Bytes.equals { end += 1 }
        return bodyStart..<end
    }

    /// `Bearer <token>`: the token only, unless it is a known format, which names it.
    static func bearerToken(_ text: ByteText, _ start: Int, _ bodyStart: Int) -> Range<Int>? {
        var position = bodyStart
        while position - bodyStart < 4, Bytes.isSpace(text.at(position)) { position += 1 }
        guard position > bodyStart else { return nil }
        var end = text.run(of: .bearerCredential, from: position, limit: 4096)
        while end - position < 4100, text.at(end) == Bytes.equals { end += 1 }
        guard end - position >= 20, text.isWordEnd(end), isMixed(text, position..<end) else { return nil }
        return position..<end
    }
}
