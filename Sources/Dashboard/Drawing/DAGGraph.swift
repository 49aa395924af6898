import Foundation

/// One box of a drawn workflow graph: a step, or a whole fan-out collapsed into one box.
public struct DAGNode: Sendable, Hashable {
    /// The step id; unique within a graph (a repeated id is drawn once, the first one wins).
    public var id: String
    /// The text in the box; the step id when there is nothing better.
    public var label: String
    /// The step's status as the store spells it (`completed`, `running`, …).
    public var status: String
    /// A second, smaller line, e.g. `12/50 done` for a collapsed fan-out.
    public var subtitle: String?
    /// Where the box links to (the step's page); only relative or http(s) addresses are kept.
    public var href: String?

    public init(id: String, label: String? = nil, status: String, subtitle: String? = nil, href: String? = nil) {
        self.id = id
        self.label = label ?? id
        self.status = status
        self.subtitle = subtitle
        self.href = href
    }
}

/// `from` must finish before `to` starts (a `depends_on`).
public struct DAGEdge: Sendable, Hashable {
    public var from: String
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
    }
}

/// The caller's nodes and edges reduced to indexes, with everything a layout cannot use set
/// aside: repeated node ids, edges naming an unknown node, self-loops and repeated edges.
struct IndexedGraph {
    /// Unique nodes in input order; an edge's `from`/`to` index into this.
    let nodes: [DAGNode]
    /// Usable edges in input order.
    let edges: [(from: Int, to: Int)]
    /// How many input edges were dropped (unknown endpoint, self-loop, repeat).
    let ignoredEdgeCount: Int

    init(nodes input: [DAGNode], edges inputEdges: [DAGEdge]) {
        var index: [String: Int] = [:]
        index.reserveCapacity(input.count)
        var unique: [DAGNode] = []
        unique.reserveCapacity(input.count)
        for node in input where index[node.id] == nil {
            index[node.id] = unique.count
            unique.append(node)
        }
        var seen = Set<Int64>()
        var usable: [(from: Int, to: Int)] = []
        usable.reserveCapacity(inputEdges.count)
        for edge in inputEdges {
            guard let from = index[edge.from], let to = index[edge.to], from != to else { continue }
            let key = Int64(from) << 32 | Int64(to)
            guard seen.insert(key).inserted else { continue }
            usable.append((from, to))
        }
        nodes = unique
        edges = usable
        ignoredEdgeCount = inputEdges.count - usable.count
    }

    /// Indexes of the edges that close a cycle, found by a depth-first search from each node in
    /// input order: an edge into a node still on the search path is a back edge.
    ///
    /// The workflow validator refuses cycles, so a real workflow never has one; this exists so
    /// that a bad graph (a hand-built one, a future bug) still lays out instead of hanging the
    /// layering loop. The layout reverses these edges and draws them as `edge back`. The search
    /// keeps its own stack, so a 10,000-step chain cannot overflow the thread's stack.
    func backEdgeIndexes() -> Set<Int> {
        var outgoing = [[Int]](repeating: [], count: nodes.count)
        for (edgeIndex, edge) in edges.enumerated() { outgoing[edge.from].append(edgeIndex) }

        enum Mark { case unvisited, onPath, done }
        var marks = [Mark](repeating: .unvisited, count: nodes.count)
        var backEdges = Set<Int>()
        var stack: [(node: Int, nextEdge: Int)] = []
        for root in nodes.indices where marks[root] == .unvisited {
            marks[root] = .onPath
            stack.append((root, 0))
            while let top = stack.last {
                let edgesOut = outgoing[top.node]
                guard top.nextEdge < edgesOut.count else {
                    marks[top.node] = .done
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].nextEdge += 1
                let edgeIndex = edgesOut[top.nextEdge]
                let target = edges[edgeIndex].to
                switch marks[target] {
                case .onPath: backEdges.insert(edgeIndex)
                case .unvisited:
                    marks[target] = .onPath
                    stack.append((target, 0))
                case .done: break
                }
            }
        }
        return backEdges
    }
}
