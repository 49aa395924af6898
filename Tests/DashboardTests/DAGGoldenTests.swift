import Foundation
import Testing

@testable import Dashboard

/// The diamond's SVG, byte for byte. A layout change shows up here as a diff to review; to
/// accept one, run once with `SANDCASTLE_REGENERATE_GOLDEN=1` (that run rewrites the file and
/// fails on purpose), look at the diff, and commit it.
@Suite struct DAGGoldenTests {
    static let goldenFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/diamond-dag.svg")

    static func diamondSVG() -> String? {
        let nodes = [
            DAGNode(id: "fetch", status: "completed", href: "/ui/runs/run-1?step=fetch"),
            DAGNode(id: "summarize", label: "Summarize every document in the corpus", status: "running", href: "/ui/runs/run-1?step=summarize"),
            DAGNode(id: "classify", status: "failed", href: "/ui/runs/run-1?step=classify"),
            DAGNode(id: "report", status: "pending", subtitle: "12/50 done"),
        ]
        let edges = [
            DAGEdge(from: "fetch", to: "summarize"), DAGEdge(from: "fetch", to: "classify"),
            DAGEdge(from: "summarize", to: "report"), DAGEdge(from: "classify", to: "report"),
        ]
        return DAGDrawing.svg(nodes: nodes, edges: edges)
    }

    @Test func diamondMatchesTheGoldenFile() throws {
        let svg = try #require(Self.diamondSVG())
        if ProcessInfo.processInfo.environment["SANDCASTLE_REGENERATE_GOLDEN"] == "1" {
            try (svg + "\n").write(to: Self.goldenFile, atomically: true, encoding: .utf8)
            Issue.record("Regenerated \(Self.goldenFile.path); review the diff, then run again without SANDCASTLE_REGENERATE_GOLDEN")
            return
        }
        let golden = try String(contentsOf: Self.goldenFile, encoding: .utf8)
        #expect(svg + "\n" == golden, "the diamond no longer matches \(Self.goldenFile.path)")
    }

    @Test func goldenFileIsAWellFormedDrawingOfTheDiamond() throws {
        let golden = try String(contentsOf: Self.goldenFile, encoding: .utf8)
        let parsed = try ParsedSVG(golden)
        #expect(parsed.root.attributes["id"] == "dag")
        #expect(parsed.root.all(class: "node").compactMap { $0.attributes["data-step"] } == ["fetch", "summarize", "classify", "report"])
        #expect(parsed.root.all(class: "edge").count == 4)
    }
}
