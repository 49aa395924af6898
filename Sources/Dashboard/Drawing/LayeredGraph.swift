import Foundation

/// The graph as the layout works on it: every node has a layer (a column, left to right), and
/// every edge goes exactly one layer to the right. An edge that spans several layers is split
/// by virtual "dummy" items, one per layer crossed, so that ordering sees it where it passes
/// and routing can bend it around the boxes in between instead of drawing through them.
///
/// Items `0..<realCount` are the graph's nodes (same indexes as ``IndexedGraph/nodes``); the
/// items after them are dummies.
struct LayeredGraph {
    let realCount: Int
    /// The column of every item.
    let layerOfItem: [Int]
    /// Items of each layer, top to bottom; ``LayerOrdering`` rearranges them.
    var layers: [[Int]]
    /// Neighbours one layer to the left / right, per item.
    let predecessors: [[Int]]
    let successors: [[Int]]
    /// For each edge of the ``IndexedGraph`` (same order): its items in layout direction
    /// (left to right), and whether the edge was reversed to break a cycle.
    let chains: [(items: [Int], reversed: Bool)]

    var itemCount: Int { layerOfItem.count }

    func isDummy(_ item: Int) -> Bool { item >= realCount }

    init(graph: IndexedGraph) {
        let backEdges = graph.backEdgeIndexes()
        let directed: [(from: Int, to: Int, reversed: Bool)] = graph.edges.enumerated().map { index, edge in
            backEdges.contains(index) ? (edge.to, edge.from, true) : (edge.from, edge.to, false)
        }
        let nodeLayers = Self.longestPathLayers(nodeCount: graph.nodes.count, edges: directed.map { ($0.from, $0.to) })

        var layerOfItem = nodeLayers
        var chains: [(items: [Int], reversed: Bool)] = []
        chains.reserveCapacity(directed.count)
        for edge in directed {
            var items = [edge.from]
            for layer in (nodeLayers[edge.from] + 1)..<max(nodeLayers[edge.from] + 1, nodeLayers[edge.to]) {
                items.append(layerOfItem.count)
                layerOfItem.append(layer)
            }
            items.append(edge.to)
            chains.append((items, edge.reversed))
        }

        var predecessors = [[Int]](repeating: [], count: layerOfItem.count)
        var successors = [[Int]](repeating: [], count: layerOfItem.count)
        for chain in chains {
            for (left, right) in zip(chain.items, chain.items.dropFirst()) {
                successors[left].append(right)
                predecessors[right].append(left)
            }
        }

        let layerCount = (layerOfItem.max() ?? -1) + 1
        var layers = [[Int]](repeating: [], count: layerCount)
        for (item, layer) in layerOfItem.enumerated() { layers[layer].append(item) }

        self.realCount = graph.nodes.count
        self.layerOfItem = layerOfItem
        self.layers = layers
        self.predecessors = predecessors
        self.successors = successors
        self.chains = chains
    }

    /// Longest-path layering: a node sits one layer right of its furthest predecessor, so every
    /// edge points right. Then each source (a node without predecessors) moves right to just
    /// before its nearest successor: a lone `setup` step feeding only the last step would
    /// otherwise sit in column 0 with one long edge across the whole drawing.
    ///
    /// `edges` must be acyclic (back edges already reversed). Should a cycle slip through anyway,
    /// its nodes never reach in-degree zero and simply keep layer 0: no hang, no crash.
    static func longestPathLayers(nodeCount: Int, edges: [(from: Int, to: Int)]) -> [Int] {
        var outgoing = [[Int]](repeating: [], count: nodeCount)
        var inDegree = [Int](repeating: 0, count: nodeCount)
        for edge in edges {
            outgoing[edge.from].append(edge.to)
            inDegree[edge.to] += 1
        }
        let isSource = inDegree.map { $0 == 0 }
        var layer = [Int](repeating: 0, count: nodeCount)
        var topologicalOrder = (0..<nodeCount).filter { inDegree[$0] == 0 }
        topologicalOrder.reserveCapacity(nodeCount)
        var cursor = 0
        while cursor < topologicalOrder.count {
            let node = topologicalOrder[cursor]
            cursor += 1
            for next in outgoing[node] {
                layer[next] = max(layer[next], layer[node] + 1)
                inDegree[next] -= 1
                if inDegree[next] == 0 { topologicalOrder.append(next) }
            }
        }
        for node in topologicalOrder.reversed() where isSource[node] {
            if let nearest = outgoing[node].map({ layer[$0] }).min() { layer[node] = nearest - 1 }
        }
        return layer
    }
}
