import Foundation
import Testing

@testable import Dashboard

@Suite struct DAGLayoutTests {
    static func nodes(_ ids: [String]) -> [DAGNode] { ids.map { DAGNode(id: $0, status: "pending") } }
    static func edges(_ pairs: [(String, String)]) -> [DAGEdge] { pairs.map { DAGEdge(from: $0.0, to: $0.1) } }

    static func placed(_ layout: DAGLayout) -> [String: DAGLayout.PlacedNode] {
        Dictionary(uniqueKeysWithValues: layout.nodes.map { ($0.node.id, $0) })
    }

    /// Crossings measured on the drawing itself, for graphs whose edges all span one layer: two
    /// edges between the same columns cross when their ends swap vertical order.
    static func geometricCrossings(_ layout: DAGLayout) -> Int {
        let placed = placed(layout)
        var count = 0
        for (index, first) in layout.edges.enumerated() {
            for second in layout.edges[(index + 1)...] {
                guard let a = placed[first.from], let b = placed[first.to], let c = placed[second.from], let d = placed[second.to],
                    a.layer == c.layer, b.layer == d.layer
                else { continue }
                if (a.y - c.y) * (b.y - d.y) < 0 { count += 1 }
            }
        }
        return count
    }

    /// No two boxes of one column overlap, and boxes keep at least the row gap between them.
    static func expectNoOverlaps(_ layout: DAGLayout, sourceLocation: SourceLocation = #_sourceLocation) {
        let metrics = layout.metrics
        for column in Dictionary(grouping: layout.nodes, by: \.layer).values {
            let sorted = column.sorted { $0.y < $1.y }
            for (upper, lower) in zip(sorted, sorted.dropFirst()) {
                #expect(
                    lower.y - upper.y >= metrics.nodeHeight + metrics.rowGap - 0.001, "\(upper.node.id) overlaps \(lower.node.id)",
                    sourceLocation: sourceLocation)
            }
        }
        for node in layout.nodes {
            #expect(
                node.x >= 0 && node.y >= 0 && node.x + metrics.nodeWidth <= layout.width && node.y + metrics.nodeHeight <= layout.height,
                sourceLocation: sourceLocation)
        }
    }

    @Test func longestPathLayeringPutsEachNodeRightOfItsFurthestPredecessor() {
        let layout = DAGLayout(nodes: Self.nodes(["a", "b", "c", "d"]), edges: Self.edges([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]))
        let placed = Self.placed(layout)
        #expect(placed.mapValues(\.layer) == ["a": 0, "b": 1, "c": 2, "d": 3])
        #expect(layout.layerCount == 4)
        let columnWidth = layout.metrics.nodeWidth + layout.metrics.columnGap
        #expect(placed["c"].map { $0.x - (placed["a"]?.x ?? 0) } == 2 * columnWidth)
    }

    @Test func aSourceMovesNextToItsNearestSuccessor() {
        let layout = DAGLayout(nodes: Self.nodes(["a", "b", "c", "setup"]), edges: Self.edges([("a", "b"), ("b", "c"), ("setup", "c")]))
        #expect(Self.placed(layout)["setup"]?.layer == 1)
        #expect(layout.edges.allSatisfy { $0.points.count == 2 }, "no edge spans more than one column")
    }

    @Test func longEdgesBendAroundTheColumnsTheyCross() throws {
        let layout = DAGLayout(nodes: Self.nodes(["a", "b", "c", "d"]), edges: Self.edges([("a", "b"), ("b", "c"), ("c", "d"), ("a", "d")]))
        let long = try #require(layout.edges.first { $0.from == "a" && $0.to == "d" })
        #expect(long.points.count == 6, "start, two points per crossed column, end")
        let placed = Self.placed(layout)
        let b = try #require(placed["b"])
        let c = try #require(placed["c"])
        // Where it runs through the columns of b and c, it stays clear of their boxes.
        for (point, box) in [(long.points[1], b), (long.points[3], c)] {
            #expect(point.x == box.x)
            #expect(point.y <= box.y - layout.metrics.edgeGap + 0.001 || point.y >= box.y + layout.metrics.nodeHeight + layout.metrics.edgeGap - 0.001)
        }
        Self.expectNoOverlaps(layout)
    }

    @Test func edgesLeaveARightSideAndEnterALeftSide() throws {
        let graph = DAGDrawing.benchmarkGraph(nodes: 40, width: 5)
        let layout = DAGLayout(nodes: graph.nodes, edges: graph.edges)
        let placed = Self.placed(layout)
        let height = layout.metrics.nodeHeight
        for edge in layout.edges {
            let from = try #require(placed[edge.from])
            let to = try #require(placed[edge.to])
            let start = try #require(edge.points.first)
            let end = try #require(edge.points.last)
            #expect(start.x == from.x + layout.metrics.nodeWidth)
            #expect(end.x == to.x)
            #expect(start.y > from.y && start.y < from.y + height)
            #expect(end.y > to.y && end.y < to.y + height)
        }
    }

    @Test func orderingRemovesTheCrossingsOfAKnownCase() {
        // Input order wires every column upside down: 6 crossings between each pair of columns.
        let ids = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
        let edges = Self.edges([("a", "h"), ("b", "g"), ("c", "f"), ("d", "e"), ("e", "l"), ("f", "k"), ("g", "j"), ("h", "i")])
        let unordered = DAGLayout(nodes: Self.nodes(ids), edges: edges, orderingSweeps: 0)
        let ordered = DAGLayout(nodes: Self.nodes(ids), edges: edges)
        #expect(unordered.crossings == 12)
        #expect(Self.geometricCrossings(unordered) == 12)
        #expect(ordered.crossings == 0)
        #expect(Self.geometricCrossings(ordered) == 0)
    }

    @Test func orderingNeverEndsWithMoreCrossingsThanItStartedWith() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<20 {
            let (nodes, edges) = randomLayeredGraph(layers: 5, width: 6, using: &generator)
            let before = DAGLayout(nodes: nodes, edges: edges, orderingSweeps: 0)
            let after = DAGLayout(nodes: nodes, edges: edges)
            #expect(after.crossings <= before.crossings)
            #expect(Self.geometricCrossings(after) == after.crossings)
            Self.expectNoOverlaps(after)
        }
    }

    @Test func sweepsReduceCrossingsOnTheBenchmarkGraph() {
        let graph = DAGDrawing.benchmarkGraph(nodes: 100)
        let before = DAGLayout(nodes: graph.nodes, edges: graph.edges, orderingSweeps: 0)
        let after = DAGLayout(nodes: graph.nodes, edges: graph.edges)
        #expect(after.crossings < before.crossings)
    }

    @Test func aCycleIsBrokenNotFollowedForever() throws {
        let edges = Self.edges([("x", "y"), ("y", "z"), ("z", "x")])
        let layout = DAGLayout(nodes: Self.nodes(["x", "y", "z"]), edges: edges)
        #expect(layout.reversedEdgeCount == 1)
        #expect(layout.nodes.count == 3)
        #expect(Set(layout.nodes.map(\.layer)) == [0, 1, 2])
        let back = try #require(layout.edges.first { $0.isReversed })
        #expect(back.from == "z" && back.to == "x")
        let placed = Self.placed(layout)
        // Drawn in its own direction: from z's left side back to x's right side.
        #expect(back.points.first?.x == placed["z"]?.x)
        #expect(back.points.last?.x == placed["x"].map { $0.x + layout.metrics.nodeWidth })
    }

    @Test func aLongRingLaysOutWithoutExhaustingTheStack() {
        let count = 3000
        let ids = (0..<count).map { "s\($0)" }
        let edges = (0..<count).map { DAGEdge(from: ids[$0], to: ids[($0 + 1) % count]) }
        let layout = DAGLayout(nodes: Self.nodes(ids), edges: edges)
        #expect(layout.nodes.count == count)
        #expect(layout.reversedEdgeCount == 1)
        #expect(layout.layerCount == count)
    }

    @Test func unusableInputIsSetAsideAndCounted() {
        let nodes = Self.nodes(["a", "b", "a"])
        let edges = Self.edges([("a", "b"), ("a", "b"), ("a", "a"), ("a", "ghost"), ("ghost", "b")])
        let layout = DAGLayout(nodes: nodes, edges: edges)
        #expect(layout.nodes.map(\.node.id) == ["a", "b"])
        #expect(layout.edges.count == 1)
        #expect(layout.ignoredEdgeCount == 4)
        #expect(layout.reversedEdgeCount == 0)
    }

    @Test func disconnectedPiecesAndLoneNodesAllGetTheirOwnPlace() {
        let layout = DAGLayout(nodes: Self.nodes(["a", "b", "c", "d", "lone", "other"]), edges: Self.edges([("a", "b"), ("c", "d")]))
        #expect(layout.nodes.count == 6)
        Self.expectNoOverlaps(layout)
    }

    @Test func wideFanOutsStayInsideTheDrawing() {
        let leaves = (0..<40).map { "leaf\($0)" }
        let layout = DAGLayout(nodes: Self.nodes(["root"] + leaves + ["join"]), edges: Self.edges(leaves.flatMap { [("root", $0), ($0, "join")] }))
        Self.expectNoOverlaps(layout)
        #expect(layout.layerCount == 3)
        #expect(layout.crossings == 0)
    }

    @Test func isotonicRegressionPoolsViolators() {
        #expect(VerticalPlacement.isotonicRegression([1, 3, 2, 4], weights: [1, 1, 1, 1]) == [1, 2.5, 2.5, 4])
        #expect(VerticalPlacement.isotonicRegression([5, 1], weights: [3, 1]) == [4, 4])
        #expect(VerticalPlacement.isotonicRegression([], weights: []) == [])
    }
}

/// A deterministic random source (SplitMix64), so "random" graphs are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Columns of `width` nodes, each node after the first column depending on one to three
/// random nodes of the column before (so every edge spans exactly one column).
func randomLayeredGraph(layers: Int, width: Int, using generator: inout SeededGenerator) -> (nodes: [DAGNode], edges: [DAGEdge]) {
    var nodes: [DAGNode] = []
    var edges: [DAGEdge] = []
    for layer in 0..<layers {
        for column in 0..<width {
            let id = "n\(layer)-\(column)"
            nodes.append(DAGNode(id: id, status: "pending"))
            guard layer > 0 else { continue }
            let parents = Set((0..<Int.random(in: 1...3, using: &generator)).map { _ in Int.random(in: 0..<width, using: &generator) })
            for parent in parents.sorted() { edges.append(DAGEdge(from: "n\(layer - 1)-\(parent)", to: id)) }
        }
    }
    return (nodes, edges)
}
