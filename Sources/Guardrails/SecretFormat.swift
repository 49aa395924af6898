/// One kind of credential the scrubber recognises. `id` is what a redaction says
/// ("[REDACTED:github_token]") and what a finding's `kind` is; `shape` describes, for people,
/// what the scrubber looks for (a description, deliberately not a matching example).
public struct SecretFormat: Sendable, Hashable {
    public let id: String
    public let description: String
    public let shape: String

    public init(id: String, description: String, shape: String) {
        self.id = id
        self.description = description
        self.shape = shape
    }
}

extension SecretFormat {
    /// Every format, in the order of docs/guardrails.md's table.
    public static let all: [SecretFormat] = [
        .init(id: "slack_token", description: "Slack bot, user, app, refresh and session tokens", shape: "xoxb-|xoxp-|xoxa-|xoxr-|xoxs- + 10+ of [A-Za-z0-9-]"),
        .init(id: "slack_webhook", description: "Slack incoming-webhook URL", shape: "hooks.slack.com/services/T…/B…/<secret>"),
        .init(id: "discord_bot_token", description: "Discord bot token", shape: "[MNO] + 23-27 base64url . 6-7 base64url . 27-40 base64url"),
        .init(id: "discord_webhook", description: "Discord webhook URL", shape: "discord(app).com/api/webhooks/<digits>/<token>"),
        .init(id: "twilio_key", description: "Twilio account SID or API key SID", shape: "AC|SK + 32 lowercase hex"),
        .init(id: "sendgrid_key", description: "SendGrid API key", shape: "SG. + 22 base64url . 43 base64url"),
        .init(id: "resend_key", description: "Resend API key", shape: "re_ + 20+ of [A-Za-z0-9_] (letters and digits)"),
        .init(id: "openai_key", description: "OpenAI API key (legacy and user keys)", shape: "sk- + 20+ base64url (letters and digits)"),
        .init(id: "openai_project_key", description: "OpenAI project key", shape: "sk-proj- + 20+ base64url"),
        .init(id: "openai_service_account_key", description: "OpenAI service-account key", shape: "sk-svcacct- + 20+ base64url"),
        .init(id: "anthropic_key", description: "Anthropic API key", shape: "sk-ant-api<NN>- + 20+ base64url"),
        .init(id: "anthropic_admin_key", description: "Anthropic Admin API key", shape: "sk-ant-admin<NN>- + 20+ base64url"),
        .init(
            id: "aws_access_key", description: "AWS access key id (and other AWS unique ids)",
            shape: "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA + 16 of [A-Z0-9]"),
        .init(id: "aws_secret_key", description: "AWS secret access key after its keyword", shape: "aws…secret… key, = or :, then 40 of [A-Za-z0-9+/]"),
        .init(
            id: "github_token", description: "GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens",
            shape: "ghp_|gho_|ghu_|ghs_|ghr_ + 30-255 alphanumerics"),
        .init(id: "github_pat", description: "GitHub fine-grained personal access token", shape: "github_pat_ + 40+ of [A-Za-z0-9_]"),
        .init(id: "gitlab_token", description: "GitLab personal access token", shape: "glpat- + 20-64 base64url"),
        .init(
            id: "stripe_key", description: "Stripe secret and restricted keys, live and test", shape: "sk_live_|sk_test_|rk_live_|rk_test_ + 16+ alphanumerics"),
        .init(id: "stripe_webhook_secret", description: "Stripe webhook signing secret", shape: "whsec_ + 24+ alphanumerics"),
        .init(id: "google_api_key", description: "Google API key", shape: "AIza + 35 base64url"),
        .init(id: "jwt", description: "JSON Web Token (signed)", shape: "eyJ… . eyJ… . signature (base64url)"),
        .init(
            id: "azure_storage_key", description: "Azure storage account key in a connection string (the value only)",
            shape: "AccountKey= + 40+ base64 + padding"),
        .init(
            id: "datadog_key", description: "Datadog API or application key after its keyword", shape: "datadog…/dd_…api_key|app_key, = or :, then 32 or 40 hex"
        ),
        .init(id: "npm_token", description: "npm access token", shape: "npm_ + 36 alphanumerics"),
        .init(id: "pypi_token", description: "PyPI API token", shape: "pypi-AgE + 50+ base64url"),
        .init(id: "huggingface_token", description: "Hugging Face access token", shape: "hf_ + 30-40 alphanumerics"),
        .init(
            id: "shopify_token", description: "Shopify access, shared-secret, custom-app and private-app tokens", shape: "shpat_|shpss_|shpca_|shppa_ + 32 hex"),
        .init(id: "mailgun_key", description: "Mailgun API key", shape: "key- + 32 lowercase hex"),
        .init(id: "hubspot_token", description: "HubSpot private-app access token", shape: "pat-<region><n>- + a lowercase UUID"),
        .init(id: "linear_key", description: "Linear API key", shape: "lin_api_ + 32-64 alphanumerics"),
        .init(id: "digitalocean_token", description: "DigitalOcean personal, OAuth and refresh tokens", shape: "dop_v1_|doo_v1_|dor_v1_ + 64 lowercase hex"),
        .init(id: "vault_token", description: "HashiCorp Vault service, batch and recovery tokens", shape: "hvs.|hvb.|hvr. + 24+ base64url"),
        .init(id: "atlassian_token", description: "Atlassian (Jira, Confluence) API token", shape: "ATATT + 50+ of [A-Za-z0-9_=-]"),
        .init(id: "groq_key", description: "Groq API key", shape: "gsk_ + 40+ alphanumerics"),
        .init(id: "tavily_key", description: "Tavily API key", shape: "tvly- + 20+ base64url (letters and digits)"),
        .init(id: "telegram_bot_token", description: "Telegram bot token", shape: "8-10 digits : 35 base64url"),
        .init(id: "postman_key", description: "Postman API key", shape: "PMAK- + 24 hex - 34 hex"),
        .init(id: "sentry_token", description: "Sentry organization and user auth tokens", shape: "sntrys_ + 50+ base64 | sntryu_ + 64 hex"),
        .init(id: "supabase_token", description: "Supabase personal access token", shape: "sbp_ + 40 alphanumerics"),
        .init(id: "pinecone_key", description: "Pinecone API key", shape: "pcsk_ + 40+ of [A-Za-z0-9_] (letters and digits)"),
        .init(id: "elevenlabs_key", description: "ElevenLabs API key", shape: "sk_ + 48 lowercase hex"),
        .init(id: "airtable_token", description: "Airtable personal access token", shape: "pat + 14 alphanumerics . 64 lowercase hex"),
        .init(
            id: "bearer_token", description: "The credential of an HTTP Bearer authorization (the token only)",
            shape: "Bearer + 20+ of [A-Za-z0-9._~+/-] (letters and digits)"),
        .init(
            id: "private_key", description: "PEM private key block, whole (RSA, EC, DSA, OPENSSH, ENCRYPTED, PKCS#8, PGP)",
            shape: "-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----"),
        .init(id: "connection_url", description: "The password of a URL with credentials (the password only)", shape: "scheme://user:<password>@host"),
        .init(
            id: "secret_field", description: "The value of a JSON, YAML, env or header field named like a secret",
            shape: "password|passwd|passphrase|secret|token|api_key|apikey|private_key|secret_key… : or = value"),
        .init(
            id: "exact_value", description: "A credential or provider key the server holds, wherever it appears",
            shape: "the exact value (8 characters or more)"),
    ]
}
