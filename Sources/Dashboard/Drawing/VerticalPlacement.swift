import Foundation

/// Gives every item a vertical centre once the order inside each layer is fixed. Each pass
/// moves the items of one layer as close as possible to the mean centre of their neighbours in
/// the layer before (or after), without changing their order or letting boxes overlap. That
/// "as close as possible" is solved exactly: minimising Σ wᵢ(yᵢ − targetᵢ)² subject to
/// yᵢ₊₁ − yᵢ ≥ gapᵢ is an isotonic regression once each yᵢ is shifted by the gaps above it,
/// and pool-adjacent-violators solves that in linear time. Edges come out straight where they
/// can, and a chain of dummies (one long edge) lines up.
enum VerticalPlacement {
    struct Spacing {
        var nodeHeight: Double
        /// Free space between two boxes in a column.
        var rowGap: Double
        /// Free space next to a long edge passing through a column (a dummy has no height).
        var edgeGap: Double
    }

    /// Centres per item, the topmost box's top at 0. Deterministic: fixed pass order, no
    /// randomness, ties resolved by the ordering already chosen.
    static func centers(of graph: LayeredGraph, spacing: Spacing, passes: Int = 4) -> [Double] {
        var center = [Double](repeating: 0, count: graph.itemCount)
        for layer in graph.layers {
            let offsets = stackedOffsets(layer, graph: graph, spacing: spacing)
            let middle = (offsets.last ?? 0) / 2
            for (item, offset) in zip(layer, offsets) { center[item] = offset - middle }
        }
        for _ in 0..<passes {
            for layerIndex in graph.layers.indices.dropFirst() {
                align(graph.layers[layerIndex], to: graph.predecessors, graph: graph, spacing: spacing, center: &center)
            }
            for layerIndex in graph.layers.indices.dropLast().reversed() {
                align(graph.layers[layerIndex], to: graph.successors, graph: graph, spacing: spacing, center: &center)
            }
        }
        let top = (0..<graph.itemCount).map { center[$0] - halfHeight(of: $0, graph: graph, spacing: spacing) }.min() ?? 0
        return center.map { $0 - top }
    }

    private static func halfHeight(of item: Int, graph: LayeredGraph, spacing: Spacing) -> Double {
        graph.isDummy(item) ? 0 : spacing.nodeHeight / 2
    }

    /// The smallest distance between the centres of two items stacked in a column.
    private static func separation(_ upper: Int, _ lower: Int, graph: LayeredGraph, spacing: Spacing) -> Double {
        let gap = graph.isDummy(upper) || graph.isDummy(lower) ? spacing.edgeGap : spacing.rowGap
        return halfHeight(of: upper, graph: graph, spacing: spacing) + halfHeight(of: lower, graph: graph, spacing: spacing) + gap
    }

    /// Centre of each item of `layer` relative to the first, when stacked as tightly as allowed.
    private static func stackedOffsets(_ layer: [Int], graph: LayeredGraph, spacing: Spacing) -> [Double] {
        var offsets: [Double] = []
        offsets.reserveCapacity(layer.count)
        var running = 0.0
        for (index, item) in layer.enumerated() {
            if index > 0 { running += separation(layer[index - 1], item, graph: graph, spacing: spacing) }
            offsets.append(running)
        }
        return offsets
    }

    private static func align(_ layer: [Int], to neighbours: [[Int]], graph: LayeredGraph, spacing: Spacing, center: inout [Double]) {
        guard !layer.isEmpty else { return }
        let offsets = stackedOffsets(layer, graph: graph, spacing: spacing)
        var targets: [Double] = []
        var weights: [Double] = []
        targets.reserveCapacity(layer.count)
        weights.reserveCapacity(layer.count)
        for (item, offset) in zip(layer, offsets) {
            let around = neighbours[item]
            if around.isEmpty {
                // Nothing pulls it: it stays put, but yields easily to its neighbours.
                targets.append(center[item] - offset)
                weights.append(0.1)
            } else {
                let mean = around.reduce(0) { $0 + center[$1] } / Double(around.count)
                targets.append(mean - offset)
                // A long edge's dummies pull harder, so long edges come out straight.
                weights.append(graph.isDummy(item) ? 2 : 1)
            }
        }
        let shifted = isotonicRegression(targets, weights: weights)
        for (index, item) in layer.enumerated() { center[item] = shifted[index] + offsets[index] }
    }

    /// The non-decreasing sequence closest to `values` in weighted least squares
    /// (pool adjacent violators).
    static func isotonicRegression(_ values: [Double], weights: [Double]) -> [Double] {
        var blocks: [(weight: Double, weightedSum: Double, count: Int)] = []
        blocks.reserveCapacity(values.count)
        for (value, weight) in zip(values, weights) {
            blocks.append((weight, weight * value, 1))
            while blocks.count >= 2 {
                let last = blocks[blocks.count - 1]
                let previous = blocks[blocks.count - 2]
                guard previous.weightedSum / previous.weight > last.weightedSum / last.weight else { break }
                blocks.removeLast(2)
                blocks.append((previous.weight + last.weight, previous.weightedSum + last.weightedSum, previous.count + last.count))
            }
        }
        var result: [Double] = []
        result.reserveCapacity(values.count)
        for block in blocks {
            result.append(contentsOf: repeatElement(block.weightedSum / block.weight, count: block.count))
        }
        return result
    }
}
