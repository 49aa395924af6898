import Foundation
import Guardrails
import Orchestrator
import Testing

/// Running steps' output kept for live pages: released a whole line at a time and scrubbed
/// then, so a secret printed in two chunks never shows half of itself; a private key block
/// waits for its END line; each step keeps only its tail; a finished run's output is dropped.
struct LiveOutputTests {
    let place = LiveOutput.Place(runID: "r1", step: "build")

    @Test func aSecretSplitAcrossChunksIsScrubbedWhole() {
        let output = LiveOutput(noticeInterval: .zero)
        let token = "ghp_" + String(repeating: "a1B2c3D4e5", count: 4)[...].prefix(36)
        #expect(!output.append("pushing with \(token.prefix(10))", at: place), "half a line is held back")
        #expect(output.text(at: place) == nil)
        #expect(output.append("\(token.dropFirst(10)) done\nnext", at: place))
        let shown = try? #require(output.text(at: place))
        #expect(shown?.hasPrefix("pushing with ") == true && shown?.hasSuffix(" done\n") == true, "\(shown ?? "")")
        #expect(shown?.contains(String(token.prefix(10))) == false, "no part of the token is shown: \(shown ?? "")")
        #expect(shown?.contains("next") == false, "the partial line waits")
        output.flush(runID: "r1", step: "build")
        #expect(output.text(at: place)?.hasSuffix("next") == true)
    }

    @Test func aPrivateKeyBlockWaitsForItsEndLine() {
        let output = LiveOutput(noticeInterval: .zero)
        output.append("before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\n", at: place)
        #expect(output.text(at: place) == "before\n", "the open block is held")
        output.append("qweRTY0123456789abcdef\n-----END RSA PRIVATE KEY-----\nafter\n", at: place)
        let shown = output.text(at: place) ?? ""
        #expect(!shown.contains("MIIEowIBAAKCAQEA7x") && !shown.contains("qweRTY0123456789abcdef"), "\(shown)")
        #expect(shown.hasPrefix("before\n") && shown.hasSuffix("after\n"))
    }

    @Test func eachStepKeepsItsTailAndAFinishedRunIsDropped() {
        let output = LiveOutput(limit: 100, noticeInterval: .zero)
        let before = output.version(runID: "r1")
        for line in 0..<50 { output.append("line \(line)\n", at: place) }
        let shown = output.text(at: place) ?? ""
        #expect(shown.utf8.count <= 100 && shown.hasSuffix("line 49\n") && shown.hasPrefix("line "), "\(shown)")
        #expect(output.version(runID: "r1") > before)
        let item = LiveOutput.Place(runID: "r1", step: "build", index: 2)
        output.append("item two\n", at: item)
        #expect(output.places(runID: "r1", step: "build") == [place, item])
        output.finish(runID: "r1")
        #expect(output.text(at: place) == nil && output.places(runID: "r1", step: "build").isEmpty)
    }

    @Test func followersAreWokenAtMostOncePerInterval() {
        let output = LiveOutput(noticeInterval: .seconds(60))
        #expect(output.append("one\n", at: place))
        #expect(!output.append("two\n", at: place), "the second release within the interval wakes no one")
        #expect(output.text(at: place) == "one\ntwo\n")
    }

    @Test func aLineWithoutEndIsReleasedPastTheHoldingLimit() {
        let output = LiveOutput(maxHeld: 64, noticeInterval: .zero)
        output.append(String(repeating: "=", count: 100), at: place)
        #expect(output.text(at: place)?.count == 100)
    }
}
