import Guardrails

/// The text `sandcastle bench scrub` measures: seeded, so every run and machine scrubs the same
/// bytes. Mostly what step outputs, events and logs hold (prose, log lines, JSON events, code),
/// with a secret about every 16 KiB (a fake of each format in turn) and PII about every 2 KiB.
public enum ScrubCorpus {
    public struct Text: Sendable {
        public let text: String
        /// How many fakes were planted (each should come back as one finding).
        public let secrets: Int
        public let piiItems: Int
    }

    private static let words = """
        the run step workflow output sandbox agent model token budget retry failed completed started queue worker \
        schedule deploy build test cache image container volume network request response latency error warning info \
        debug service server client event stream approval policy report summary value result input file folder branch \
        commit merge review customer order invoice payment account balance shipment delivery region cluster node \
        memory disk usage limit quota timeout backoff attempt success status health metric trace span context prompt
        """.split(separator: " ").map(String.init)

    private static let codeLines = [
        "    let result = try await engine.run(workflow, inputs: inputs)",
        "    guard let step = graph.steps[id] else { throw EngineError.unknownStep(id) }",
        "for (index, item) in items.enumerated() where item.isEnabled {",
        "def handle(event: dict) -> dict:",
        "    return {\"status\": \"ok\", \"count\": len(items)}",
        "if response.status_code != 200: raise RuntimeError(f\"request failed: {response.text}\")",
        "const total = orders.reduce((sum, order) => sum + order.amount, 0);",
        "SELECT id, status, created_at FROM runs WHERE status = 'failed' ORDER BY created_at DESC LIMIT 50;",
    ]

    /// About `bytes` bytes of mixed text.
    public static func generate(bytes: Int, seed: UInt64 = 15) -> Text {
        var random = SeededRandom(seed: seed)
        var output: [UInt8] = []
        output.reserveCapacity(bytes + 4096)
        let formats = SecretFormat.all.filter { $0.id != "exact_value" }
        var secrets = 0
        var pii = 0
        var nextSecret = 16_384
        var nextPII = 2_048
        while output.count < bytes {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<3: output.append(contentsOf: prose(&random).utf8)
            case 3..<6: output.append(contentsOf: logLine(&random).utf8)
            case 6..<9: output.append(contentsOf: jsonEvent(&random).utf8)
            default: output.append(contentsOf: (random.pick(codeLines) + "\n").utf8)
            }
            if output.count >= nextPII {
                output.append(contentsOf: piiLine(&random).utf8)
                pii += 1
                nextPII += 2_048
            }
            if output.count >= nextSecret, let fake = formats[secrets % formats.count].fake(using: &random) {
                output.append(contentsOf: "worker output: \(fake.text)\n".utf8)
                secrets += 1
                nextSecret += 16_384
            }
        }
        return Text(text: String(decoding: output, as: UTF8.self), secrets: secrets, piiItems: pii)
    }

    private static func sentence(_ random: inout SeededRandom, words count: Int) -> String {
        (0..<count).map { _ in random.pick(words) }.joined(separator: " ")
    }

    private static func prose(_ random: inout SeededRandom) -> String {
        let sentences = (0..<Int.random(in: 2...5, using: &random)).map { _ -> String in
            let text = sentence(&random, words: Int.random(in: 6...16, using: &random))
            return text.prefix(1).uppercased() + text.dropFirst() + "."
        }
        return sentences.joined(separator: " ") + "\n"
    }

    private static func logLine(_ random: inout SeededRandom) -> String {
        let level = random.pick(["INFO ", "DEBUG", "WARN ", "ERROR"])
        let time = "2026-12-07T\(two(&random, 24)):\(two(&random, 60)):\(two(&random, 60)).\(Int.random(in: 100...999, using: &random))Z"
        return "\(time) \(level) run=run_\(random.string("0123456789abcdef", count: 8)) step=\(random.pick(words)) "
            + "attempt=\(Int.random(in: 1...3, using: &random)) duration_ms=\(Int.random(in: 1...90_000, using: &random)) "
            + "\(sentence(&random, words: Int.random(in: 3...9, using: &random)))\n"
    }

    private static func jsonEvent(_ random: inout SeededRandom) -> String {
        let output = sentence(&random, words: Int.random(in: 5...30, using: &random))
        return #"{"type":"step.completed","run_id":"run_\#(random.string("0123456789abcdef", count: 12))","#
            + #""step_id":"\#(random.pick(words))","attempt":\#(Int.random(in: 1...3, using: &random)),"#
            + #""output":{"text":"\#(output)\n","tokens":\#(Int.random(in: 10...4000, using: &random))},"#
            + #""cost_usd":0.\#(random.string("0123456789", count: 4))}"# + "\n"
    }

    private static func piiLine(_ random: inout SeededRandom) -> String {
        let name = random.pick(["ann", "bo", "chen", "dara", "eli"])
        return switch Int.random(in: 0..<5, using: &random) {
        case 0: "contact: \(name).\(random.string("abcdefghij", count: 5))@example.com\n"
        case 1: "call +1 (555) \(random.string("0123456789", count: 3))-\(random.string("0123456789", count: 4))\n"
        case 2: "client 10.\(Int.random(in: 0...255, using: &random)).\(Int.random(in: 0...255, using: &random)).7 connected\n"
        case 3: "card on file 4111 1111 1111 1111, iban DE89 3704 0044 0532 0130 00\n"
        default: "born 15/03/19\(Int.random(in: 50...99, using: &random)), ssn 123-45-6789\n"
        }
    }

    private static func two(_ random: inout SeededRandom, _ below: Int) -> String {
        let value = Int.random(in: 0..<below, using: &random)
        return value < 10 ? "0\(value)" : "\(value)"
    }
}
