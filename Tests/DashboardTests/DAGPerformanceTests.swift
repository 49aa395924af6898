import Foundation
import Testing

@testable import Dashboard

/// The budget is a 500-step run page rendered in ≤ 50 ms of server time. The figure to
/// quote comes from a release build (`DAGDrawing.benchmark`, `sandcastle bench dashboard`); the
/// bound here is loose enough for a debug build on a busy two-core machine and only catches an
/// accidental quadratic (or worse) step.
@Suite struct DAGPerformanceTests {
    @Test func fiveHundredNodesAreDrawnCompletely() throws {
        let graph = DAGDrawing.benchmarkGraph(nodes: 500)
        #expect(graph.nodes.count == 500)
        let clock = ContinuousClock()
        var drawn: String?
        let elapsed = clock.measure {
            drawn = DAGDrawing.svg(nodes: graph.nodes, edges: graph.edges, options: .init(maxNodes: nil))
        }
        let svg = try #require(drawn)
        #expect(svg.components(separatedBy: "class=\"node ").count - 1 == 500)

        let root = try ParsedSVG(svg).root
        let steps = root.all(class: "node").compactMap { $0.attributes["data-step"] }
        #expect(Set(steps) == Set(graph.nodes.map(\.id)))
        let drawnEdges = root.all(class: "edge").compactMap { path -> DAGEdge? in
            guard let from = path.attributes["data-from"], let to = path.attributes["data-to"], path.attributes["d"]?.isEmpty == false else { return nil }
            return DAGEdge(from: from, to: to)
        }
        #expect(drawnEdges.count == graph.edges.count)
        #expect(Set(drawnEdges) == Set(graph.edges))
        #expect(elapsed < .milliseconds(500), "500-node layout + SVG took \(elapsed)")
    }

    @Test func benchmarkReportsTimeAndSize() throws {
        let result = DAGDrawing.benchmark(nodes: 500, runs: 3)
        #expect(result.layoutMs > 0)
        #expect(result.layoutMs < 500)
        let graph = DAGDrawing.benchmarkGraph(nodes: 500)
        let svg = try #require(DAGDrawing.svg(nodes: graph.nodes, edges: graph.edges, options: .init(maxNodes: nil)))
        #expect(result.svgBytes == svg.utf8.count)
    }

    @Test func benchmarkGraphHasTheAdvertisedShape() {
        let graph = DAGDrawing.benchmarkGraph(nodes: 500)
        let layout = DAGLayout(nodes: graph.nodes, edges: graph.edges)
        #expect(layout.layerCount == 50)
        #expect(graph.edges.count == 980, "each of the 490 steps after the first layer has two parents")
        #expect(Set(graph.nodes.map(\.status)) == ["completed", "failed", "running", "pending"])
    }
}
