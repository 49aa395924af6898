import Foundation
import Testing

@testable import Dashboard

@Suite struct DrawingPrimitivesTests {
    @Test func escapingCoversMarkupQuotesAndForbiddenControls() {
        #expect(SVGEscaping.escaped(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(SVGEscaping.escaped("plain text ✓") == "plain text ✓")
        #expect(SVGEscaping.escaped("bell\u{07}null\u{00}tab\tline\n") == "bellnulltab\tline\n")
        #expect(SVGEscaping.escaped("a\u{FFFE}b") == "ab")
    }

    @Test func builderEscapesEveryAttributeAndText() {
        var svg = SVGBuilder()
        svg.element("text", ["data-x": "\"><script>"], text: "</text><script>")
        #expect(svg.text == "<text data-x=\"&quot;&gt;&lt;script&gt;\">&lt;/text&gt;&lt;script&gt;</text>")
    }

    @Test(arguments: [(0.0, "0"), (12, "12"), (12.25, "12.3"), (12.04, "12"), (-0.04, "0"), (-0.5, "-0.5"), (-12.5, "-12.5"), (.nan, "0"), (.infinity, "0")])
    func numbersAreShortAndStable(value: Double, text: String) {
        #expect(SVGEscaping.number(value) == text)
    }

    @Test func classTokensAreSafe() {
        #expect(SVGEscaping.classToken("waiting_approval") == "waiting_approval")
        #expect(SVGEscaping.classToken("Budget Exceeded!") == "budget-exceeded-")
        #expect(SVGEscaping.classToken("") == "unknown")
    }

    @Test func truncationCountsCharactersAndFoldsWhitespace() {
        #expect(TextFitting.truncated("short", maxCharacters: 10) == "short")
        #expect(TextFitting.truncated("exactly ten", maxCharacters: 11) == "exactly ten")
        #expect(TextFitting.truncated("a much longer label", maxCharacters: 8) == "a much…")
        #expect(TextFitting.truncated("line\none\t two", maxCharacters: 40) == "line one two")
        #expect(TextFitting.truncated("🇫🇷🇩🇪🇮🇹🇪🇸", maxCharacters: 3) == "🇫🇷🇩🇪…")
        #expect(TextFitting.truncated("anything", maxCharacters: 1) == "…")
        #expect(TextFitting.truncated("  padded  ", maxCharacters: 40) == "padded")
        #expect(TextFitting.truncated("two  spaces", maxCharacters: 40) == "two spaces")
    }

    @Test func linearTicksAreRound() {
        #expect(AxisTicks.linear(upTo: 15) == [0, 5, 10, 15])
        #expect(AxisTicks.linear(upTo: 87) == [0, 20, 40, 60, 80, 100])
        #expect(AxisTicks.linear(upTo: 1000) == [0, 200, 400, 600, 800, 1000])
        #expect(AxisTicks.linear(upTo: 0.03) == [0, 0.01, 0.02, 0.03])
        #expect(AxisTicks.linear(upTo: 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(AxisTicks.linear(upTo: 1, integerSteps: true) == [0, 1])
        #expect(AxisTicks.linear(upTo: 0) == [0, 1])
        #expect(AxisTicks.linear(upTo: .nan) == [0, 1])
    }

    @Test func durationTicksUseHumanSteps() {
        #expect(AxisTicks.duration(upTo: 100) == [0, 30, 60, 90, 120])
        #expect(AxisTicks.duration(upTo: 3) == [0, 1, 2, 3])
        #expect(AxisTicks.duration(upTo: 7200) == [0, 1800, 3600, 5400, 7200])
        #expect(AxisTicks.duration(upTo: 10 * 86400).last == Double(10 * 86400))
    }

    @Test(arguments: [(0.0, "0s"), (0.4, "0.4s"), (9.96, "10s"), (45, "45s"), (60, "1m"), (90, "1m 30s"), (3600, "1h"), (3900, "1h 5m"), (90000, "1d 1h")])
    func durationsReadLikePeopleSayThem(seconds: Double, text: String) {
        #expect(ValueText.duration(seconds) == text)
    }

    @Test func valueFormats() {
        #expect(ChartValueFormat.number.text(12) == "12")
        #expect(ChartValueFormat.number.text(0.125) == "0.13")
        #expect(ChartValueFormat.usd.text(1.2) == "$1.20")
        #expect(ChartValueFormat.usd.text(0.00421) == "$0.0042")
        #expect(ChartValueFormat.usd.text(-2.5) == "-$2.50")
        #expect(ChartValueFormat.usd.text(0) == "$0.00")
        #expect(ChartValueFormat.seconds.text(75) == "1m 15s")
        #expect(ValueText.fixed(1.005, decimals: 0) == "1")
        #expect(ValueText.fixed(-0.001, decimals: 2) == "0.00")
    }
}
