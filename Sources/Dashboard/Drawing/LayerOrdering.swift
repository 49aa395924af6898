import Foundation

/// Orders the items inside each layer to cut edge crossings: the barycentric heuristic of
/// Sugiyama et al. Each sweep sorts one layer after another by the mean position of each
/// item's neighbours in the layer just handled, alternately left to right (by predecessors) and
/// right to left (by successors). The best ordering seen is kept, so more sweeps never make
/// the drawing worse. Ties keep the current order, so the result is deterministic.
enum LayerOrdering {
    /// Reorders `graph.layers` in place and returns the number of crossings that remain.
    @discardableResult
    static func reduceCrossings(in graph: inout LayeredGraph, sweeps: Int) -> Int {
        var position = positions(of: graph)
        var best = crossings(layers: graph.layers, position: position, successors: graph.successors)
        var bestLayers = graph.layers
        var sweep = 0
        while sweep < sweeps, best > 0 {
            let rightward = sweep.isMultiple(of: 2)
            let layerIndexes = rightward ? Array(graph.layers.indices.dropFirst()) : Array(graph.layers.indices.dropLast().reversed())
            let neighbours = rightward ? graph.predecessors : graph.successors
            for layerIndex in layerIndexes {
                sortByBarycenter(&graph.layers[layerIndex], neighbours: neighbours, position: &position)
            }
            let count = crossings(layers: graph.layers, position: position, successors: graph.successors)
            if count < best {
                best = count
                bestLayers = graph.layers
            }
            sweep += 1
        }
        graph.layers = bestLayers
        return best
    }

    private static func positions(of graph: LayeredGraph) -> [Int] {
        var position = [Int](repeating: 0, count: graph.itemCount)
        for layer in graph.layers {
            for (index, item) in layer.enumerated() { position[item] = index }
        }
        return position
    }

    /// An item without neighbours on the reference side keeps its own position as its key, so
    /// it stays roughly where it was rather than drifting to one end.
    private static func sortByBarycenter(_ layer: inout [Int], neighbours: [[Int]], position: inout [Int]) {
        let keyed: [(key: Double, current: Int, item: Int)] = layer.map { item in
            let around = neighbours[item]
            guard !around.isEmpty else { return (Double(position[item]), position[item], item) }
            let sum = around.reduce(0) { $0 + position[$1] }
            return (Double(sum) / Double(around.count), position[item], item)
        }
        let sorted = keyed.sorted { ($0.key, $0.current) < ($1.key, $1.current) }
        for (index, entry) in sorted.enumerated() {
            layer[index] = entry.item
            position[entry.item] = index
        }
    }

    /// Crossings between every pair of neighbouring layers. Two segments `a→b` and `c→d` cross
    /// when `a` is above `c` and `b` below `d`: with the segments sorted by their left end, that
    /// is an inversion of the right ends, counted with a Fenwick tree in O(E log V).
    static func crossings(layers: [[Int]], position: [Int], successors: [[Int]]) -> Int {
        var total = 0
        for (leftLayer, rightLayer) in zip(layers, layers.dropFirst()) {
            var segments: [(left: Int, right: Int)] = []
            for item in leftLayer {
                for next in successors[item] { segments.append((position[item], position[next])) }
            }
            segments.sort { ($0.left, $0.right) < ($1.left, $1.right) }
            var tree = FenwickTree(size: rightLayer.count)
            for (seen, segment) in segments.enumerated() {
                total += seen - tree.prefixSum(through: segment.right)
                tree.add(1, at: segment.right)
            }
        }
        return total
    }
}

/// Counts of positions `0..<size`, with prefix sums in O(log size).
private struct FenwickTree {
    private var counts: [Int]

    init(size: Int) { counts = [Int](repeating: 0, count: size + 1) }

    mutating func add(_ amount: Int, at position: Int) {
        var index = position + 1
        while index < counts.count {
            counts[index] += amount
            index += index & -index
        }
    }

    /// How many were added at positions `0...position`.
    func prefixSum(through position: Int) -> Int {
        var index = position + 1
        var sum = 0
        while index > 0 {
            sum += counts[index]
            index -= index & -index
        }
        return sum
    }
}
