import Foundation
import Testing

@testable import Dashboard

@Suite struct ChartDrawingTests {
    static let week = (1...7).map { ChartPoint(label: "2026-04-0\($0)", value: Double($0 * 2), secondary: Double($0 % 3)) }

    @Test func runsPerDayStacksFailuresOnSuccesses() throws {
        let svg = ChartDrawing.stackedColumns(Self.week)
        #expect(cspSafe(svg))
        let root = try ParsedSVG(svg).root
        #expect(root.attributes["id"] == "chart-runs-per-day")
        #expect(root.attributes["role"] == "img")
        let columns = root.all(class: "column")
        #expect(columns.map { $0.attributes["data-label"] } == Self.week.map(\.label))
        let first = columns[0]
        #expect(first.child("title")?.text == "2026-04-01: 3 — 2 succeeded, 1 failed")
        let primary = try #require(first.all(class: "primary").first)
        let secondary = try #require(first.all(class: "secondary").first)
        let primaryTop = try #require(primary.attributes["y"].flatMap(Double.init))
        let secondaryTop = try #require(secondary.attributes["y"].flatMap(Double.init))
        let secondaryHeight = try #require(secondary.attributes["height"].flatMap(Double.init))
        #expect(abs(secondaryTop + secondaryHeight - primaryTop) < 0.2, "failures sit right on top of successes")
        // Heights are proportional to values: day 7 has 14 succeeded, day 1 has 2.
        let heights = columns.compactMap { $0.all(class: "primary").first?.attributes["height"].flatMap(Double.init) }
        #expect(abs(heights[6] / heights[0] - 7) < 0.05)
        #expect(columns.map { $0.all(class: "value").first?.text } == ["3", "6", "6", "9", "12", "12", "15"])
        #expect(root.all(class: "tick-label").map(\.text) == ["0", "5", "10", "15"])
        #expect(root.all(class: "legend-label").map(\.text) == ["succeeded", "failed"])
    }

    @Test func thirtyDaysThinTheirLabelsButKeepTheNewest() throws {
        let month = (1...30).map { ChartPoint(label: "04-\($0)", value: Double($0)) }
        let root = try ParsedSVG(ChartDrawing.stackedColumns(month)).root
        let labels = root.all(class: "axis-label").map(\.text)
        #expect(labels.count > 3 && labels.count < 30)
        #expect(labels.last == "04-30")
        #expect(root.all(class: "column").count == 30)
        #expect(root.all(class: "secondary").isEmpty)
        #expect(root.all(class: "legend-label").map(\.text) == ["succeeded"])
    }

    @Test func costPerWorkflowWritesValuesAsMoney() throws {
        let items = [
            ChartItem(label: "nightly-report", value: 12.5, href: "/ui/workflows/nightly-report"),
            ChartItem(label: "triage", value: 2.5),
            ChartItem(label: "tiny", value: 0.0042),
        ]
        let svg = ChartDrawing.horizontalBars(items)
        #expect(cspSafe(svg))
        let root = try ParsedSVG(svg).root
        #expect(root.attributes["id"] == "chart-cost-per-workflow")
        let rows = root.all(class: "row")
        #expect(rows.map { $0.attributes["data-label"] } == ["nightly-report", "triage", "tiny"])
        #expect(rows.map { $0.all(class: "value").first?.text } == ["$12.50", "$2.50", "$0.0042"])
        #expect(rows.map { $0.child("title")?.text } == ["nightly-report: $12.50", "triage: $2.50", "tiny: $0.0042"])
        let lengths = rows.compactMap { $0.all(class: "bar-fill").first?.attributes["width"].flatMap(Double.init) }
        #expect(abs(lengths[0] / lengths[1] - 5) < 0.01)
        #expect(root.all("a").first?.attributes["href"] == "/ui/workflows/nightly-report")
    }

    @Test func budgetBarStates() throws {
        let under = try ParsedSVG(ChartDrawing.budgetBar(spent: 1.2, budget: 5)).root
        #expect(under.attributes["id"] == "budget-bar")
        #expect(under.classes == ["budget-bar"])
        #expect(under.all(class: "budget-label").first?.text == "$1.20 of $5.00 (24 %)")
        #expect(under.all(class: "limit").isEmpty)

        let near = try ParsedSVG(ChartDrawing.budgetBar(spent: 4.5, budget: 5)).root
        #expect(near.classes == ["budget-bar", "near"])

        let exactly = try ParsedSVG(ChartDrawing.budgetBar(spent: 5, budget: 5)).root
        #expect(!exactly.classes.contains("over"), "100 % is not past the budget")

        let over = try ParsedSVG(ChartDrawing.budgetBar(spent: 7.5, budget: 5, options: .init(svgID: "step-budget"))).root
        #expect(over.attributes["id"] == "step-budget")
        #expect(over.classes == ["budget-bar", "over"])
        #expect(over.all(class: "budget-label").first?.text == "$7.50 of $5.00 (150 %)")
        let track = try #require(over.all(class: "track").first?.attributes["width"].flatMap(Double.init))
        let spent = try #require(over.all(class: "spent").first?.attributes["width"].flatMap(Double.init))
        #expect(spent == track, "the bar is full once over")
        let limit = try #require(over.all(class: "limit").first?.attributes["x1"].flatMap(Double.init))
        #expect(abs(limit - (1 + track / 1.5)) < 0.1, "the budget mark sits at two thirds")

        let none = try ParsedSVG(ChartDrawing.budgetBar(spent: 0.75, budget: nil)).root
        #expect(none.classes == ["budget-bar", "no-budget"])
        #expect(none.all(class: "budget-label").first?.text == "$0.75 spent, no budget")
        #expect(none.all(class: "spent").isEmpty)
    }

    @Test func emptyDataSaysNoData() throws {
        for svg in [ChartDrawing.stackedColumns([]), ChartDrawing.horizontalBars([])] {
            let root = try ParsedSVG(svg).root
            #expect(root.classes.contains("empty"))
            #expect(root.all(class: "empty-message").first?.text == "No data")
        }
        #expect(try ParsedSVG(ChartDrawing.stackedColumns([])).root.attributes["id"] == "chart-runs-per-day")
        #expect(try ParsedSVG(ChartDrawing.horizontalBars([])).root.attributes["id"] == "chart-cost-per-workflow")
    }

    @Test func allZeroAndBadValuesStillDraw() throws {
        let points = [ChartPoint(label: "a", value: 0), ChartPoint(label: "b", value: -3), ChartPoint(label: "c", value: .nan, secondary: .infinity)]
        let root = try ParsedSVG(ChartDrawing.stackedColumns(points)).root
        let heights = root.all(class: "primary").compactMap { $0.attributes["height"] }
        #expect(heights.dropFirst() == ["0", "0", "0"], "legend swatch first, then three empty columns")
        let bars = try ParsedSVG(ChartDrawing.horizontalBars([ChartItem(label: "z", value: 0)])).root
        #expect(bars.all(class: "bar-fill").first?.attributes["width"] == "0")
    }

    @Test func hostileLabelsStayText() throws {
        let hostile = "<img src=x onerror=alert(1)>"
        let outputs = [
            ChartDrawing.stackedColumns([ChartPoint(label: hostile, value: 1)], options: .init(svgID: "a\"b")),
            ChartDrawing.horizontalBars([ChartItem(label: hostile, value: 1, href: "javascript:alert(1)")]),
        ]
        for svg in outputs {
            #expect(!svg.contains("<img") && cspSafe(svg))
            let root = try ParsedSVG(svg).root
            #expect(root.descendants.contains { $0.attributes["data-label"] == hostile })
            #expect(root.all("a").isEmpty)
        }
    }
}
