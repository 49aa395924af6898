import Foundation

/// A layered (Sugiyama-style) layout of a workflow graph, left to right so that long pipelines
/// use the width of a wide screen: longest-path layering into columns, barycentric ordering
/// sweeps inside each column to cut crossings, fixed-size boxes, and edges as smooth curves
/// from a box's right side to the next box's left side. Same input, same coordinates.
public struct DAGLayout: Sendable {
    /// Box and spacing sizes, in SVG user units.
    public struct Metrics: Sendable, Hashable {
        public var nodeWidth: Double
        public var nodeHeight: Double
        /// Horizontal room between two columns, where the edges bend.
        public var columnGap: Double
        /// Vertical room between two boxes of one column.
        public var rowGap: Double
        /// Vertical room beside a long edge passing through a column.
        public var edgeGap: Double
        public var margin: Double

        public init(
            nodeWidth: Double = 176, nodeHeight: Double = 44, columnGap: Double = 56, rowGap: Double = 16, edgeGap: Double = 10,
            margin: Double = 12
        ) {
            self.nodeWidth = nodeWidth
            self.nodeHeight = nodeHeight
            self.columnGap = columnGap
            self.rowGap = rowGap
            self.edgeGap = edgeGap
            self.margin = margin
        }
    }

    public struct Point: Sendable, Hashable {
        public var x: Double
        public var y: Double
    }

    public struct PlacedNode: Sendable {
        public let node: DAGNode
        /// The column, 0 at the left.
        public let layer: Int
        /// Top-left corner of the box.
        public let x: Double
        public let y: Double
    }

    public struct RoutedEdge: Sendable {
        public let from: String
        public let to: String
        /// From the `from` box to the `to` box. Points come in the order start, then a pair per
        /// column the edge passes through (where it enters and leaves that column), then end;
        /// between consecutive points the edge alternately bends (in a column gap) and runs
        /// straight (through a column).
        public let points: [Point]
        /// The edge closed a cycle and was laid out backwards (it points right to left).
        public let isReversed: Bool
    }

    public let metrics: Metrics
    /// Every node once, in input order (a repeated id keeps its first occurrence).
    public let nodes: [PlacedNode]
    /// Every usable edge, in input order.
    public let edges: [RoutedEdge]
    public let width: Double
    public let height: Double
    public let layerCount: Int
    /// Edge crossings left after ordering.
    public let crossings: Int
    /// Edges reversed to break a cycle (0 for any graph the workflow validator accepts).
    public let reversedEdgeCount: Int
    /// Input edges not drawn: unknown endpoint, self-loop, or a repeat.
    public let ignoredEdgeCount: Int

    /// - Parameter orderingSweeps: barycentric sweeps (alternating directions); 0 keeps the
    ///   input order inside each column.
    public init(nodes: [DAGNode], edges: [DAGEdge], metrics: Metrics = Metrics(), orderingSweeps: Int = 8) {
        let graph = IndexedGraph(nodes: nodes, edges: edges)
        var layered = LayeredGraph(graph: graph)
        let crossings = LayerOrdering.reduceCrossings(in: &layered, sweeps: orderingSweeps)
        let spacing = VerticalPlacement.Spacing(nodeHeight: metrics.nodeHeight, rowGap: metrics.rowGap, edgeGap: metrics.edgeGap)
        let centers = VerticalPlacement.centers(of: layered, spacing: spacing).map { $0 + metrics.margin }

        func columnX(_ layer: Int) -> Double { metrics.margin + Double(layer) * (metrics.nodeWidth + metrics.columnGap) }

        self.nodes = graph.nodes.enumerated().map { index, node in
            let layer = layered.layerOfItem[index]
            return PlacedNode(node: node, layer: layer, x: columnX(layer), y: centers[index] - metrics.nodeHeight / 2)
        }
        let ports = EdgePorts(graph: layered, centers: centers, nodeHeight: metrics.nodeHeight)
        self.edges = layered.chains.enumerated().map { chainIndex, chain in
            let items = chain.items
            var points: [Point] = []
            points.reserveCapacity(items.count * 2)
            let source = items[0]
            let target = items[items.count - 1]
            points.append(Point(x: columnX(layered.layerOfItem[source]) + metrics.nodeWidth, y: ports.outgoingY(chain: chainIndex)))
            for dummy in items.dropFirst().dropLast() {
                let x = columnX(layered.layerOfItem[dummy])
                points.append(Point(x: x, y: centers[dummy]))
                points.append(Point(x: x + metrics.nodeWidth, y: centers[dummy]))
            }
            points.append(Point(x: columnX(layered.layerOfItem[target]), y: ports.incomingY(chain: chainIndex)))
            let original = graph.edges[chainIndex]
            return RoutedEdge(
                from: graph.nodes[original.from].id, to: graph.nodes[original.to].id,
                points: chain.reversed ? points.reversed() : points, isReversed: chain.reversed)
        }

        let layerCount = layered.layers.count
        let bottom = (0..<layered.realCount).map { centers[$0] + metrics.nodeHeight / 2 }.max() ?? metrics.margin
        let lowestEdge = centers.max() ?? 0
        self.metrics = metrics
        self.width = columnX(max(layerCount, 1)) - metrics.columnGap + metrics.margin
        self.height = max(bottom, lowestEdge) + metrics.margin
        self.layerCount = layerCount
        self.crossings = crossings
        self.reversedEdgeCount = layered.chains.filter(\.reversed).count
        self.ignoredEdgeCount = graph.ignoredEdgeCount
    }
}

/// Where each edge leaves and enters a box. Several edges on one side of a box are spread
/// along it, ordered like the boxes at their other ends, so a fan-in reads as separate arrows
/// that do not cross each other at the box.
private struct EdgePorts {
    private var outgoing: [Double]
    private var incoming: [Double]

    /// The largest distance between two neighbouring ports of one side.
    private static let spacing = 6.0

    init(graph: LayeredGraph, centers: [Double], nodeHeight: Double) {
        outgoing = [Double](repeating: 0, count: graph.chains.count)
        incoming = [Double](repeating: 0, count: graph.chains.count)
        var leaving = [[Int]](repeating: [], count: graph.realCount)
        var arriving = [[Int]](repeating: [], count: graph.realCount)
        for (index, chain) in graph.chains.enumerated() {
            leaving[chain.items[0]].append(index)
            arriving[chain.items[chain.items.count - 1]].append(index)
        }
        let usableHeight = nodeHeight - 12
        func spread(_ chainIndexes: [Int], around center: Double, otherEnd: (Int) -> Int, into ports: inout [Double]) {
            guard !chainIndexes.isEmpty else { return }
            let ordered = chainIndexes.sorted { (centers[otherEnd($0)], $0) < (centers[otherEnd($1)], $1) }
            let step = ordered.count > 1 ? min(Self.spacing, usableHeight / Double(ordered.count - 1)) : 0
            let first = center - step * Double(ordered.count - 1) / 2
            for (rank, chainIndex) in ordered.enumerated() { ports[chainIndex] = first + step * Double(rank) }
        }
        for node in 0..<graph.realCount {
            spread(leaving[node], around: centers[node], otherEnd: { graph.chains[$0].items[1] }, into: &outgoing)
            spread(arriving[node], around: centers[node], otherEnd: { graph.chains[$0].items[graph.chains[$0].items.count - 2] }, into: &incoming)
        }
    }

    func outgoingY(chain: Int) -> Double { outgoing[chain] }
    func incomingY(chain: Int) -> Double { incoming[chain] }
}
