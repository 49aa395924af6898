import Foundation

/// A workflow graph as inline SVG for the run page (`svg#dag`) and workflow previews.
///
/// The markup carries no `style=` attribute and no `<script>` (the dashboard's CSP forbids
/// both); colours come from the page's stylesheet through classes. The one presentation
/// attribute is `fill="none"` on edges: an unfilled curve is geometry, not theme, and keeps a
/// drawing legible when opened without the stylesheet.
public enum DAGDrawing {
    /// Above this many nodes the run page shows a list first and draws only on request
    /// (Dagster's "pre-flight" idea: a huge graph should not freeze the tab).
    public static let defaultMaxNodes = 300

    public struct Options: Sendable {
        /// The `<svg>` element's id; also prefixes the arrow marker's id, so two drawings on one
        /// page (workflow cards) do not share ids.
        public var svgID: String
        /// Each node group's id is this prefix followed by the step id.
        public var nodeIDPrefix: String
        /// `nil` draws whatever the size ("render graph anyway").
        public var maxNodes: Int?
        public var metrics: DAGLayout.Metrics
        public var orderingSweeps: Int
        /// Read by screen readers; by default a summary of the steps by status.
        public var ariaLabel: String?

        public init(
            svgID: String = "dag", nodeIDPrefix: String = "node-", maxNodes: Int? = DAGDrawing.defaultMaxNodes,
            metrics: DAGLayout.Metrics = DAGLayout.Metrics(), orderingSweeps: Int = 8, ariaLabel: String? = nil
        ) {
            self.svgID = svgID
            self.nodeIDPrefix = nodeIDPrefix
            self.maxNodes = maxNodes
            self.metrics = metrics
            self.orderingSweeps = orderingSweeps
            self.ariaLabel = ariaLabel
        }
    }

    /// Whether `svg(nodes:edges:options:)` would decline to draw this many nodes.
    public static func isTooLarge(nodeCount: Int, options: Options = Options()) -> Bool {
        guard let limit = options.maxNodes else { return false }
        return nodeCount > limit
    }

    /// The graph as SVG, or `nil` when it has more nodes than `options.maxNodes` (checked before
    /// any layout work, so declining is free).
    public static func svg(nodes: [DAGNode], edges: [DAGEdge], options: Options = Options()) -> String? {
        guard !isTooLarge(nodeCount: nodes.count, options: options) else { return nil }
        let layout = DAGLayout(nodes: nodes, edges: edges, metrics: options.metrics, orderingSweeps: options.orderingSweeps)
        return svg(layout: layout, options: options)
    }

    /// Draws a layout made earlier (no size limit: the caller already decided).
    public static func svg(layout: DAGLayout, options: Options = Options()) -> String {
        let markerID = options.svgID + "-arrow"
        var svg = SVGBuilder(reservingCapacity: 512 + layout.nodes.count * 700 + layout.edges.count * 160)
        let width = SVGEscaping.number(layout.width)
        let height = SVGEscaping.number(layout.height)
        svg.open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "id": options.svgID, "class": "dag", "viewBox": "0 0 \(width) \(height)",
                "width": width, "height": height, "role": "img", "aria-label": options.ariaLabel ?? summary(of: layout),
            ])
        svg.open("defs")
        svg.open(
            "marker",
            [
                "id": markerID, "class": "dag-arrow", "viewBox": "0 0 10 10", "refX": "9", "refY": "5", "markerWidth": "7",
                "markerHeight": "7", "orient": "auto",
            ])
        svg.empty("path", ["d": "M0,1 L9,5 L0,9 z"])
        svg.close("marker")
        svg.close("defs")

        svg.open("g", ["class": "edges"])
        let markerReference = "url(#\(markerID))"
        for edge in layout.edges {
            svg.empty(
                "path",
                [
                    "class": edge.isReversed ? "edge back" : "edge", "data-from": edge.from, "data-to": edge.to,
                    "d": pathData(edge.points), "fill": "none", "marker-end": markerReference,
                ])
        }
        svg.close("g")

        svg.open("g", ["class": "nodes"])
        for placed in layout.nodes {
            drawNode(placed, metrics: layout.metrics, idPrefix: options.nodeIDPrefix, into: &svg)
        }
        svg.close("g")
        svg.close("svg")
        return svg.text
    }

    /// One node's `<g>` alone (without its link), as drawn in `svg(layout:options:)`: what a
    /// live update sends to replace `#node-<id>` when a step changes status, instead of the
    /// whole drawing. Lay out the graph with the new statuses (same shape, same places) and
    /// take the changed node from it. `nil` when the layout has no such step.
    public static func nodeGroup(stepID: String, in layout: DAGLayout, options: Options = Options()) -> String? {
        guard let placed = layout.nodes.first(where: { $0.node.id == stepID }) else { return nil }
        var svg = SVGBuilder(reservingCapacity: 700)
        drawNodeGroup(placed, metrics: layout.metrics, idPrefix: options.nodeIDPrefix, into: &svg)
        return svg.text
    }

    /// `<a href>` (when the node has a usable link) around the node's group.
    private static func drawNode(_ placed: DAGLayout.PlacedNode, metrics: DAGLayout.Metrics, idPrefix: String, into svg: inout SVGBuilder) {
        let link = placed.node.href.flatMap(LinkFilter.safeHref)
        if let link { svg.open("a", ["href": link]) }
        drawNodeGroup(placed, metrics: metrics, idPrefix: idPrefix, into: &svg)
        if link != nil { svg.close("a") }
    }

    /// `<g class="node status-…" id data-step data-status><title/><rect/><text/>…</g>`. The
    /// `<title>` comes first, where SVG expects an element's accessible name, and holds the
    /// full label the box may have cut short.
    private static func drawNodeGroup(_ placed: DAGLayout.PlacedNode, metrics: DAGLayout.Metrics, idPrefix: String, into svg: inout SVGBuilder) {
        let node = placed.node
        let appearance = StatusAppearance(status: node.status)
        svg.open(
            "g",
            [
                "class": "node " + appearance.className, "id": idPrefix + node.id, "data-step": node.id, "data-status": node.status,
                "transform": "translate(\(SVGEscaping.number(placed.x)) \(SVGEscaping.number(placed.y)))",
            ])
        svg.element("title", text: tooltip(for: node))
        svg.empty(
            "rect",
            ["class": "box", "width": SVGEscaping.number(metrics.nodeWidth), "height": SVGEscaping.number(metrics.nodeHeight), "rx": "6"])

        let middle = metrics.nodeHeight / 2
        let textX = 28.0
        let textWidth = metrics.nodeWidth - textX - 8
        svg.element("text", ["class": "glyph", "x": "10", "y": SVGEscaping.number(middle + 5), "aria-hidden": "true"], text: appearance.glyph)
        let labelBudget = TextFitting.characterBudget(width: textWidth)
        let labelY = node.subtitle == nil ? middle + 4.5 : middle - 3
        svg.element(
            "text", ["class": "label", "x": SVGEscaping.number(textX), "y": SVGEscaping.number(labelY)],
            text: TextFitting.truncated(node.label, maxCharacters: labelBudget))
        if let subtitle = node.subtitle {
            let subtitleBudget = TextFitting.characterBudget(width: textWidth, characterWidth: 6.2)
            svg.element(
                "text", ["class": "sub", "x": SVGEscaping.number(textX), "y": SVGEscaping.number(middle + 12)],
                text: TextFitting.truncated(subtitle, maxCharacters: subtitleBudget))
        }
        svg.close("g")
    }

    /// `fetch: completed`, then the full label and subtitle when there are any.
    static func tooltip(for node: DAGNode) -> String {
        var parts = ["\(node.id): \(node.status)"]
        if node.label != node.id { parts.append(node.label) }
        if let subtitle = node.subtitle { parts.append(subtitle) }
        return parts.joined(separator: " — ")
    }

    /// Curves in the column gaps (horizontal tangents at both ends, so arrows meet boxes
    /// square), straight runs through columns an edge passes.
    static func pathData(_ points: [DAGLayout.Point]) -> String {
        guard let first = points.first else { return "" }
        var data = "M\(SVGEscaping.number(first.x)),\(SVGEscaping.number(first.y))"
        for index in points.indices.dropFirst() {
            let start = points[index - 1]
            let end = points[index]
            let endText = "\(SVGEscaping.number(end.x)),\(SVGEscaping.number(end.y))"
            if (index - 1).isMultiple(of: 2) {
                let middleX = SVGEscaping.number((start.x + end.x) / 2)
                data += " C\(middleX),\(SVGEscaping.number(start.y)) \(middleX),\(SVGEscaping.number(end.y)) \(endText)"
            } else {
                data += " L\(endText)"
            }
        }
        return data
    }

    /// "Workflow graph, 5 steps: 2 completed, 1 failed, 2 pending" (statuses in name order).
    static func summary(of layout: DAGLayout) -> String {
        var counts: [String: Int] = [:]
        for placed in layout.nodes { counts[placed.node.status, default: 0] += 1 }
        let noun = layout.nodes.count == 1 ? "step" : "steps"
        let parts = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }
        let head = "Workflow graph, \(layout.nodes.count) \(noun)"
        return parts.isEmpty ? head : head + ": " + parts.joined(separator: ", ")
    }
}
