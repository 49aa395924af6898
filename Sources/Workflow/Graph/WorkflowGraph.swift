/// The dependency graph of a workflow's steps: `depends_on` edges only.
///
/// References do not add edges: a step may only read steps it (transitively) depends on, and
/// validation says which `depends_on` to add. Keeping every edge in `depends_on` makes the
/// order visible in the YAML and in `sandcastle dag`.
public struct WorkflowGraph: Sendable {
    /// Step ids in the order written.
    public let ids: [String]
    /// Direct dependencies of each step (ids that exist, without duplicates, in written order).
    public let dependencies: [String: [String]]
    /// Direct dependents of each step.
    public let dependents: [String: [String]]

    /// Builds the graph, ignoring dependencies on unknown steps (validation reports those) and
    /// keeping the first of steps with a duplicated id.
    public init(_ workflow: WorkflowDefinition) {
        self.init(edges: workflow.steps.map { ($0.id, $0.dependencyIDs) })
    }

    /// Builds a graph from `(id, dependencies)` pairs.
    public init(edges: [(id: String, dependencies: [String])]) {
        var ids: [String] = []
        var seen: Set<String> = []
        for (id, _) in edges where seen.insert(id).inserted { ids.append(id) }
        var dependencies: [String: [String]] = [:]
        var dependents: [String: [String]] = [:]
        for id in ids { dependents[id] = [] }
        var done: Set<String> = []
        for (id, deps) in edges where done.insert(id).inserted {
            var unique: [String] = []
            for dependency in deps where seen.contains(dependency) && !unique.contains(dependency) {
                unique.append(dependency)
                dependents[dependency, default: []].append(id)
            }
            dependencies[id] = unique
        }
        self.ids = ids
        self.dependencies = dependencies
        self.dependents = dependents
    }

    /// Every step `id` depends on, directly or not.
    public func ancestors(of id: String) -> Set<String> {
        reachable(from: id, along: dependencies)
    }

    /// Every step that depends on `id`, directly or not.
    public func descendants(of id: String) -> Set<String> {
        reachable(from: id, along: dependents)
    }

    /// Whether `candidate` finishes before `id` starts in every run.
    public func isUpstream(_ candidate: String, of id: String) -> Bool {
        ancestors(of: id).contains(candidate)
    }

    private func reachable(from id: String, along edges: [String: [String]]) -> Set<String> {
        var found: Set<String> = []
        var stack = edges[id] ?? []
        while let next = stack.popLast() {
            guard found.insert(next).inserted else { continue }
            stack.append(contentsOf: edges[next] ?? [])
        }
        found.remove(id) // only present when `id` is on a cycle
        return found
    }

    /// Every elementary cycle found by a depth-first search, each named once, starting from
    /// the step written first: `["a", "b", "c", "a"]`.
    public func cycles() -> [[String]] {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []
        var found: [[String]] = []
        var seenKeys: Set<[String]> = []
        let order = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })

        func visit(_ id: String) {
            marks[id] = .visiting
            path.append(id)
            for dependency in dependencies[id] ?? [] {
                switch marks[dependency] {
                case .visiting:
                    guard let start = path.lastIndex(of: dependency) else { continue }
                    // path runs along depends_on (a needs b); name it in execution order (b → a).
                    var cycle = Array(path[start...].reversed())
                    if let first = cycle.indices.min(by: { order[cycle[$0]] ?? 0 < order[cycle[$1]] ?? 0 }) {
                        cycle = Array(cycle[first...] + cycle[..<first])
                    }
                    if seenKeys.insert(cycle).inserted { found.append(cycle + [cycle[0]]) }
                case .done:
                    continue
                case nil:
                    visit(dependency)
                }
            }
            path.removeLast()
            marks[id] = .done
        }

        for id in ids where marks[id] == nil { visit(id) }
        return found
    }

    /// Steps grouped by depth: layer 0 has no dependencies, a step sits one layer below its
    /// deepest dependency. For display and planning; the scheduler does not wait for layers
    /// (see ``DependencyTracker``). Steps on a cycle are left out.
    public func layers() -> [[String]] {
        var depth: [String: Int] = [:]
        var remaining = Dictionary(uniqueKeysWithValues: ids.map { ($0, dependencies[$0]?.count ?? 0) })
        var ready = ids.filter { remaining[$0] == 0 }
        for id in ready { depth[id] = 0 }
        while !ready.isEmpty {
            var next: [String] = []
            for id in ready {
                for dependent in dependents[id] ?? [] {
                    depth[dependent] = max(depth[dependent] ?? 0, (depth[id] ?? 0) + 1)
                    remaining[dependent, default: 0] -= 1
                    if remaining[dependent] == 0 { next.append(dependent) }
                }
            }
            ready = next
        }
        var layers: [[String]] = []
        for id in ids {
            guard let level = depth[id] else { continue }
            while layers.count <= level { layers.append([]) }
            layers[level].append(id)
        }
        return layers
    }

    /// A topological order (Kahn), stable with respect to the written order; nil when there is a cycle.
    public func topologicalOrder() -> [String]? {
        // Written order among steps whose dependencies allow it.
        var remaining = Dictionary(uniqueKeysWithValues: ids.map { ($0, dependencies[$0]?.count ?? 0) })
        var result: [String] = []
        var available = ids.filter { remaining[$0] == 0 }
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        while !available.isEmpty {
            available.sort { position[$0] ?? 0 < position[$1] ?? 0 }
            let id = available.removeFirst()
            result.append(id)
            for dependent in dependents[id] ?? [] {
                remaining[dependent, default: 0] -= 1
                if remaining[dependent] == 0 { available.append(dependent) }
            }
        }
        return result.count == ids.count ? result : nil
    }
}
