import Foundation

extension DAGDrawing {
    /// A synthetic workflow of `nodes` steps in layers of `width`: every step after the first
    /// layer depends on two steps of the layer before (the one at its own position and one
    /// further along, so edges cross and ordering has work to do). Statuses move through a run:
    /// early layers completed (one failed), one layer running, the rest pending.
    public static func benchmarkGraph(nodes count: Int, width: Int = 10) -> (nodes: [DAGNode], edges: [DAGEdge]) {
        let width = max(1, width)
        let layers = (max(0, count) + width - 1) / width
        func id(_ index: Int) -> String { "step-\(index)" }
        var nodes: [DAGNode] = []
        var edges: [DAGEdge] = []
        nodes.reserveCapacity(count)
        edges.reserveCapacity(count * 2)
        for index in 0..<max(0, count) {
            let layer = index / width
            let column = index % width
            let status: String
            switch layer {
            case ..<(layers / 2): status = index == width + 3 ? "failed" : "completed"
            case layers / 2: status = "running"
            default: status = "pending"
            }
            let subtitle = column == 0 ? "\(layer)/\(layers) done" : nil
            nodes.append(DAGNode(id: id(index), label: "Step \(layer).\(column)", status: status, subtitle: subtitle, href: "/ui/runs/r/steps/\(id(index))"))
            guard layer > 0 else { continue }
            let previousLayerStart = (layer - 1) * width
            edges.append(DAGEdge(from: id(previousLayerStart + column), to: id(index)))
            let second = previousLayerStart + (column * 3 + 1) % width
            if second != previousLayerStart + column { edges.append(DAGEdge(from: id(second), to: id(index))) }
        }
        return (nodes, edges)
    }

    /// Layout plus SVG of ``benchmarkGraph(nodes:width:)``, timed: the median of `runs` passes
    /// after one untimed warm-up, in milliseconds, and the size of the SVG. For
    /// `sandcastle bench dashboard`; the budget is a 500-step run page in ≤ 50 ms.
    public static func benchmark(nodes count: Int, runs: Int = 5) -> (layoutMs: Double, svgBytes: Int) {
        let graph = benchmarkGraph(nodes: count)
        let options = Options(maxNodes: nil)
        var bytes = svg(nodes: graph.nodes, edges: graph.edges, options: options)?.utf8.count ?? 0
        let clock = ContinuousClock()
        var timings: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = clock.now
            bytes = svg(nodes: graph.nodes, edges: graph.edges, options: options)?.utf8.count ?? 0
            let elapsed = clock.now - start
            timings.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        timings.sort()
        return (timings[timings.count / 2], bytes)
    }
}
