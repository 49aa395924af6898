import Foundation

/// Draws a workflow's DAG as text, Graphviz DOT or Mermaid.
public enum GraphRenderer {
    public enum Format: String, Sendable, CaseIterable {
        /// Layers with each step's dependencies, for a terminal.
        case text
        /// Each root with its dependents indented under it.
        case tree
        case dot
        case mermaid
    }

    public static func render(_ workflow: WorkflowDefinition, format: Format) -> String {
        switch format {
        case .text: text(workflow)
        case .tree: tree(workflow)
        case .dot: dot(workflow)
        case .mermaid: mermaid(workflow)
        }
    }

    /// A short description of a step: its kind and what matters about it.
    public static func summary(
        of step: StepDefinition, in workflow: WorkflowDefinition,
        registry: StepKindRegistry = .standard
    ) -> String {
        var parts = [step.kind.rawValue]
        if let handler = registry.handler(for: step.kind), handler.usesSandbox {
            parts.append(workflow.settings(for: step).image)
        }
        if let config = step.configuration(as: SubWorkflowConfiguration.self) { parts.append(config.workflow.value) }
        if let fanOut = step.fanOut {
            var text = "for each {\(fanOut.reference)}"
            if let limit = fanOut.maxConcurrency { text += " (\(limit) at a time)" }
            parts.append(text)
        }
        if let when = step.when { parts.append("when \(when.source)") }
        if let session = step.sandbox.session { parts.append("session \(session.value)") }
        return parts.joined(separator: " · ")
    }

    static func text(_ workflow: WorkflowDefinition) -> String {
        let graph = WorkflowGraph(workflow)
        let layers = graph.layers()
        var lines = [
            "\(workflow.name): \(workflow.steps.count) step\(workflow.steps.count == 1 ? "" : "s") in \(layers.count) layer\(layers.count == 1 ? "" : "s")"
        ]
        let width = min(max(workflow.steps.map(\.id.count).max() ?? 0, 8), 40)
        for (index, layer) in layers.enumerated() {
            lines.append("layer \(index + 1)")
            for id in layer {
                guard let step = workflow.step(id) else { continue }
                var line = "  " + id.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + summary(of: step, in: workflow)
                let dependencies = graph.dependencies[id] ?? []
                if !dependencies.isEmpty { line += "  ← " + dependencies.joined(separator: ", ") }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func tree(_ workflow: WorkflowDefinition) -> String {
        let graph = WorkflowGraph(workflow)
        var lines = [workflow.name]
        var shown: Set<String> = []
        func visit(_ id: String, prefix: String, isLast: Bool) {
            let branch = isLast ? "└─ " : "├─ "
            guard let step = workflow.step(id) else { return }
            if !shown.insert(id).inserted {
                lines.append(prefix + branch + id + " (see above)")
                return
            }
            let others = (graph.dependencies[id] ?? []).count > 1 ? "  ← " + (graph.dependencies[id] ?? []).joined(separator: ", ") : ""
            lines.append(prefix + branch + id + "  " + summary(of: step, in: workflow) + others)
            let children = graph.dependents[id] ?? []
            for (index, child) in children.enumerated() {
                visit(child, prefix: prefix + (isLast ? "   " : "│  "), isLast: index == children.count - 1)
            }
        }
        let roots = graph.ids.filter { (graph.dependencies[$0] ?? []).isEmpty }
        for (index, root) in roots.enumerated() { visit(root, prefix: "", isLast: index == roots.count - 1) }
        return lines.joined(separator: "\n") + "\n"
    }

    static func dot(_ workflow: WorkflowDefinition) -> String {
        func quoted(_ text: String) -> String {
            "\""
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        let graph = WorkflowGraph(workflow)
        var lines = [
            "digraph \(quoted(workflow.name)) {", "  rankdir=LR;",
            "  node [shape=box, style=rounded, fontname=\"Helvetica\"];",
        ]
        for step in workflow.steps {
            let shape: String =
                switch step.kind {
                case .approval: ", shape=hexagon"
                case .subWorkflow: ", shape=box3d"
                default: step.fanOut == nil ? "" : ", peripheries=2"
                }
            let dashed = step.when == nil ? "" : ", style=\"rounded,dashed\""
            lines.append("  \(quoted(step.id)) [label=\(quoted(step.id + "\n" + summary(of: step, in: workflow)))\(shape)\(dashed)];")
        }
        for id in graph.ids {
            for dependency in graph.dependencies[id] ?? [] { lines.append("  \(quoted(dependency)) -> \(quoted(id));") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func mermaid(_ workflow: WorkflowDefinition) -> String {
        func label(_ text: String) -> String {
            // Mermaid labels are HTML-ish; entity-encode what would end the label or start markup.
            "\""
                + text.replacingOccurrences(of: "&", with: "#amp;").replacingOccurrences(of: "\"", with: "#quot;")
                .replacingOccurrences(of: "<", with: "#lt;").replacingOccurrences(of: ">", with: "#gt;")
                .replacingOccurrences(of: "\n", with: "<br/>") + "\""
        }
        let graph = WorkflowGraph(workflow)
        // Step ids may contain `-`, which Mermaid reads as an edge; number the nodes instead.
        let node = Dictionary(uniqueKeysWithValues: graph.ids.enumerated().map { ($1, "s\($0)") })
        var lines = ["flowchart LR"]
        for step in workflow.steps {
            guard let name = node[step.id] else { continue }
            let text = label(step.id + "\n" + summary(of: step, in: workflow))
            switch step.kind {
            case .approval: lines.append("  \(name){{\(text)}}")
            case .subWorkflow: lines.append("  \(name)[[\(text)]]")
            default: lines.append("  \(name)[\(text)]")
            }
        }
        for id in graph.ids {
            for dependency in graph.dependencies[id] ?? [] {
                if let from = node[dependency], let to = node[id] { lines.append("  \(from) --> \(to)") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
