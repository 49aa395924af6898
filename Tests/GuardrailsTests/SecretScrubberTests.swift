import Foundation
import Guardrails
import Testing

@Suite("SecretScrubber: every format, every embedding, idempotent")
struct SecretScrubberTests {
    let scrubber = SecretScrubber()

    @Test("at least 30 documented formats, each with an id, a description, a shape and a fake")
    func catalog() {
        #expect(SecretFormat.all.count >= 30 + 4)
        #expect(Set(SecretFormat.all.map(\.id)).count == SecretFormat.all.count)
        var random = SeededRandom(seed: 1)
        for format in SecretFormat.all where format.id != "exact_value" {
            #expect(!format.description.isEmpty && !format.shape.isEmpty)
            #expect(format.fake(using: &random)?.format == format.id, "\(format.id) has no fake")
        }
        // The shapes document the formats without being secrets themselves.
        #expect(!scrubber.scrub(SecretFormat.all.map(\.shape).joined(separator: "\n")).changed)
    }

    @Test("100 % recall: every fake of every format, in prose, logs, JSON, YAML and env files, is gone with its format named")
    func recall() {
        let documents = SecretCorpus.documents()
        var missed: [String] = []
        for document in documents {
            let result = scrubber.scrub(document.text)
            let covering = result.findings.filter { finding in
                guard let secret = document.text.range(of: document.secretInText) else { return false }
                return finding.range.lowerBound <= secret.lowerBound && secret.upperBound <= finding.range.upperBound
            }
            if result.text.contains(document.secretInText) || covering.map(\.kind) != [document.fake.format] {
                missed.append("\(document.fake.format) in \(document.embedding): \(covering.map(\.kind)) → \(result.text)")
            }
            if !result.text.contains("[REDACTED:\(document.fake.format)]") {
                missed.append("\(document.fake.format) in \(document.embedding): no [REDACTED:\(document.fake.format)]")
            }
            // Idempotent: the scrubbed text has nothing left to find.
            let again = scrubber.scrub(result.text)
            if again.changed { missed.append("\(document.fake.format) in \(document.embedding) not idempotent: \(again.findings.map(\.kind))") }
        }
        print(
            "SecretScrubber recall: \(documents.count - missed.count) of \(documents.count) documents (\(SecretFormat.all.count - 1) formats × \(SecretCorpus.perFormat) fakes × \(SecretCorpus.Embedding.allCases.count) embeddings)"
        )
        #expect(missed.isEmpty, "\(missed.count) missed:\n\(missed.prefix(20).joined(separator: "\n"))")
        #expect(documents.count == (SecretFormat.all.count - 1) * SecretCorpus.perFormat * SecretCorpus.Embedding.allCases.count)
    }

    @Test("all fakes in one document: findings in order, ranges in the original text, the rest unchanged")
    func findingsAndRanges() {
        let fakes = SecretCorpus.fakes(seed: 7)
        let text = fakes.map(\.text).joined(separator: "\n--\n")
        let result = scrubber.scrub(text)
        #expect(result.findings.map(\.kind) == fakes.map(\.format))
        for (finding, fake) in zip(result.findings, fakes) {
            #expect(String(text[finding.range]) == fake.secret, "\(fake.format)")
        }
        #expect(zip(result.findings, result.findings.dropFirst()).allSatisfy { $0.range.upperBound <= $1.range.lowerBound })
        // Only the secrets changed: splitting on the separators gives one piece per fake.
        #expect(result.text.components(separatedBy: "\n--\n").count == fakes.count)
        #expect(scrubber.scrubbed(result.text) == result.text)
    }

    @Test("text without secrets comes back unchanged, including code, templates and near misses")
    func cleanText() {
        let result = scrubber.scrub(SecretCorpus.clean)
        #expect(result.text == SecretCorpus.clean, "\(result.findings.map { "\($0.kind): \(SecretCorpus.clean[$0.range])" })")
        #expect(!result.changed)
        #expect(scrubber.scrub("").text == "")
    }

    @Test("URLs keep everything but the password; fields keep their key; PEM blocks go whole")
    func whatIsReplaced() {
        #expect(scrubber.scrubbed("postgres://app:s3cr3t-pw@db:5432/prod") == "postgres://app:[REDACTED:connection_url]@db:5432/prod")
        #expect(scrubber.scrubbed("redis://:hunter2x@cache:6379") == "redis://:[REDACTED:connection_url]@cache:6379")
        #expect(scrubber.scrubbed(#"{"password": "hunter2", "user": "ann"}"#) == #"{"password": "[REDACTED:secret_field]", "user": "ann"}"#)
        #expect(scrubber.scrubbed("DB_PASSWORD=hunter2\nPORT=5432") == "DB_PASSWORD=[REDACTED:secret_field]\nPORT=5432")
        #expect(scrubber.scrubbed("client_secret: abc123def\nname: x") == "client_secret: [REDACTED:secret_field]\nname: x")
        #expect(scrubber.scrubbed("curl -H 'Authorization: Bearer abcdef0123456789abcdef01'") == "curl -H 'Authorization: Bearer [REDACTED:bearer_token]'")
        let pem = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc=\n-----END RSA PRIVATE KEY-----\nafter"
        #expect(scrubber.scrubbed(pem) == "key:\n[REDACTED:private_key]\nafter")
        // A truncated key loses its body too.
        #expect(scrubber.scrubbed("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\nkqhkiG9w0BAQEF") == "[REDACTED:private_key]")
        // A field whose value is a known token is named by the token's format.
        let github = "ghp_" + String(repeating: "a1B2", count: 9)
        #expect(scrubber.scrubbed(#"{"token": "\#(github)"}"#) == #"{"token": "[REDACTED:github_token]"}"#)
    }

    @Test("JSON-encoded text: escaped quotes, slashes and newlines do not hide a secret")
    func jsonEncodedText() throws {
        let inner = """
            {"password": "pa55word!", "db": "mysql://root:t0psecret@10.0.0.5/app"}
            -----BEGIN EC PRIVATE KEY-----
            MHcCAQEEIBkg
            -----END EC PRIVATE KEY-----
            """
        let encoded = String(decoding: try JSONEncoder().encode(["output": inner]), as: UTF8.self)
        let result = scrubber.scrub(encoded)
        #expect(result.findings.map(\.kind) == ["secret_field", "connection_url", "private_key"])
        for secret in ["pa55word!", "t0psecret", "MHcCAQEEIBkg"] { #expect(!result.text.contains(secret)) }
        // Still valid JSON, and the decoded text reads as redacted.
        let decoded = try JSONDecoder().decode([String: String].self, from: Data(result.text.utf8))
        #expect(decoded["output"]?.contains(#""password": "[REDACTED:secret_field]""#) == true)
    }

    @Test("exact values: replaced wherever they appear, longest first; short ones ignored")
    func exactValues() {
        let held = "Zq7-internal-credential-value"
        let scrubber = SecretScrubber(exactValues: [held, "short"]).adding(exactValues: [held + "-v2"])
        let text = "a\(held)b and \(held)-v2 and short"
        let result = scrubber.scrub(text)
        #expect(result.text == "a[REDACTED:exact_value]b and [REDACTED:exact_value] and short")
        #expect(result.findings.map { String(text[$0.range]) } == [held, held + "-v2"])
        #expect(scrubber.scrubbed(result.text) == result.text)
    }

    @Test("hostile input: NUL bytes, huge lines, unterminated quotes and PEM headers stay linear and safe")
    func hostileInput() {
        let unterminated = String(repeating: "-----BEGIN RSA PRIVATE KEY-----\n", count: 20_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(scrubber.scrub(unterminated).findings.count >= 1)
            #expect(!scrubber.scrub(String(repeating: "password: \"", count: 50_000)).text.isEmpty)
            #expect(!scrubber.scrub(String(repeating: "a=b:c://d:", count: 100_000)).text.isEmpty)
        }
        #expect(elapsed < .seconds(20))
        #expect(scrubber.scrubbed("token=\u{0}abc\u{0}def") == "token=[REDACTED:secret_field]")
    }

    @Test("masking for display: first 4 and last 4, or **** when short")
    func masking() {
        #expect(maskedSecret("sk-abcdefgh9xQz") == "sk-a…9xQz")
        #expect(maskedSecret("short") == "****")
        #expect(maskedSecret("elevenchars") == "****")
    }
}
