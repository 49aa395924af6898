import Foundation
import Guardrails
import Testing

@Suite("LinearRegex: RE2 behind a Swift value")
struct LinearRegexTests {
    @Test("leftmost, non-overlapping matches as String ranges, also after multi-byte characters")
    func matchesAndRanges() throws {
        let regex = try LinearRegex(#"\d{3}"#)
        let text = "héllo 123 wörld 4567 🎉 890"
        #expect(regex.matches(in: text).map { String(text[$0]) } == ["123", "456", "890"])
        #expect(regex.firstMatch(in: text).map { String(text[$0]) } == "123")
        #expect(regex.firstMatch(in: "no digits") == nil)
        #expect(regex.pattern == #"\d{3}"#)
        let words = try LinearRegex(#"w\S+"#)
        #expect(words.matches(in: text).map { String(text[$0]) } == ["wörld"])
    }

    @Test("case-insensitive option; empty matches are skipped; NUL bytes are ordinary characters")
    func optionsAndEdges() throws {
        let insensitive = try LinearRegex("secret", caseInsensitive: true)
        #expect(insensitive.matches(in: "Secret SECRET secret").count == 3)
        #expect(try LinearRegex("secret").matches(in: "Secret SECRET secret").count == 1)
        #expect(try LinearRegex("a*").matches(in: "bbaab").map { $0 } == [try #require("bbaab".range(of: "aa"))])
        let nul = "before\u{0}after"
        #expect(try LinearRegex("e\u{0}a").firstMatch(in: nul).map { String(nul[$0]) } == "e\u{0}a")
        #expect(try LinearRegex("x").matches(in: "").isEmpty)
    }

    @Test("a pattern RE2 refuses is a clear invalidPattern error naming the pattern and the reason")
    func compileErrors() {
        for (pattern, reason) in [("(a", "missing )"), (#"(a)\1"#, "invalid escape"), ("(?=a)", "invalid perl operator"), ("a{2,1}", "invalid repetition")] {
            do {
                _ = try LinearRegex(pattern)
                Issue.record("`\(pattern)` compiled")
            } catch {
                #expect(error.code == .invalidPattern)
                #expect(error.message.contains("`\(pattern)`"), "\(error.message)")
                #expect(error.message.contains(reason), "\(error.message)")
            }
        }
    }

    @Test("one compiled regex is used from many tasks at once")
    func concurrentUse() async throws {
        let regex = try LinearRegex(#"[a-z]+@[a-z]+\.com"#)
        let counts = await withTaskGroup(of: Int.self) { group in
            for index in 0..<16 {
                group.addTask { regex.matches(in: String(repeating: "user\(String(repeating: "a", count: index))@example.com ", count: 200)).count }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 200, count: 16))
    }

    /// Backtracking engines (NSRegularExpression, PCRE) take exponential time on these; RE2 is
    /// linear. The docs say so; running NSRegularExpression here would never finish.
    @Test("linear time: a 10 MiB adversarial input against catastrophic patterns in well under a second")
    func adversarialInputIsLinear() throws {
        let size = 10 << 20
        let allA = String(repeating: "a", count: size)
        let cases: [(pattern: String, input: String, matches: Bool)] = [
            ("(a+)+$", allA + "!", false),
            ("(a|aa)*c", allA, false),
            ("(.*a){20}", allA, true),
            (#"^(\w+\s?)*$"#, allA + "!", false),
        ]
        for (pattern, input, matches) in cases {
            let regex = try LinearRegex(pattern)
            let clock = ContinuousClock()
            var found: Range<String.Index>?
            let elapsed = clock.measure { found = regex.firstMatch(in: input) }
            let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
            print("LinearRegex `\(pattern)` over \(input.utf8.count) bytes: \(String(format: "%.1f", milliseconds)) ms")
            #expect((found != nil) == matches, "\(pattern)")
            #expect(elapsed < .seconds(1), "`\(pattern)` took \(elapsed)")
        }
    }
}
