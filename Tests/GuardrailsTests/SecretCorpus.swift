import Foundation
import Guardrails

/// The recall corpus: several fakes of every format, each embedded in prose, a log line, a JSON
/// event (encoded by JSONEncoder, so quotes, slashes and newlines arrive escaped), YAML and an
/// env file. Seeded: the same documents every run.
struct SecretCorpus {
    enum Embedding: String, CaseIterable {
        case prose, log, json, yaml, env
    }

    struct Document {
        let fake: FakeSecret
        let embedding: Embedding
        let text: String
        /// The secret as it appears in `text` (JSON-escaped in a JSON document).
        let secretInText: String
    }

    static let perFormat = 4

    static func fakes(seed: UInt64 = 15) -> [FakeSecret] {
        var random = SeededRandom(seed: seed)
        return SecretFormat.all.flatMap { format in (0..<perFormat).compactMap { _ in format.fake(using: &random) } }
    }

    static func documents(seed: UInt64 = 15) -> [Document] {
        fakes(seed: seed).flatMap { fake in Embedding.allCases.map { document(fake, $0) } }
    }

    static func document(_ fake: FakeSecret, _ embedding: Embedding) -> Document {
        switch embedding {
        case .prose:
            let text = "While debugging the nightly export we found this in the worker output:\n\(fake.text)\nRotate it before Monday."
            return Document(fake: fake, embedding: embedding, text: text, secretInText: fake.secret)
        case .log:
            let text = "2026-12-07T19:47:12.113Z INFO  worker[4812] step=fetch attempt=2 \(fake.text) elapsed_ms=182\n"
            return Document(fake: fake, embedding: embedding, text: text, secretInText: fake.secret)
        case .json:
            let event = ["type": "step.output", "run_id": "run_8f3a", "output": "result: \(fake.text)\nend of output"]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let text = (try? String(decoding: encoder.encode(event), as: UTF8.self)) ?? ""
            return Document(fake: fake, embedding: embedding, text: text, secretInText: jsonEscaped(fake.secret))
        case .yaml:
            let indent = "\n      "
            let text = "steps:\n  - id: deploy\n    notes: |\(indent)\(fake.text.replacingOccurrences(of: "\n", with: indent))\n    retries: 2\n"
            return Document(fake: fake, embedding: embedding, text: text, secretInText: fake.secret.replacingOccurrences(of: "\n", with: indent))
        case .env:
            let text = "APP_ENV=production\nLOG_LEVEL=debug\n\(fake.text)\nWORKERS=4\n"
            return Document(fake: fake, embedding: embedding, text: text, secretInText: fake.secret)
        }
    }

    /// A string's body as JSONEncoder writes it inside quotes.
    static func jsonEscaped(_ value: String) -> String {
        let encoded = (try? String(decoding: JSONEncoder().encode([value]), as: UTF8.self)) ?? ""
        return String(encoded.dropFirst(2).dropLast(2))
    }

    /// Text with no secret in it: prose, logs, JSON, code, numbers and near misses.
    static let clean = """
        The scheduler fired 1,204 runs overnight; 3 failed with `exit status 137` (OOM).
        2026-12-07T19:47:12Z INFO run=run_01HF step=build duration_ms=5312 tokens=1834 cost_usd=0.0213
        {"type":"step.completed","step_id":"summarize","output":{"summary":"ok","count":3},"max_tokens":4096}
        let token = try await issuer.nextToken(for: request)
        func authenticate(password: String, token: String?) -> Bool { password.isEmpty == false }
        password: ${DB_PASSWORD}
        api_key: <your key here>
        "secret": "[REDACTED:secret_field]"
        Visit https://example.com/docs?page=2 or ssh git@github.com:org/repo.git
        sk-short, ghp_tooShort, AKIA123, xoxb-1, eyJhbGciOiJIUzI1NiJ9 alone, key-notHex
        The Bearer scheme is described in RFC 6750. Use `Authorization: Bearer $TOKEN`.
        postgres://localhost:5432/app and redis://cache:6379/0 have no credentials.
        -----BEGIN PUBLIC KEY----- is not a private key.
        """
}
