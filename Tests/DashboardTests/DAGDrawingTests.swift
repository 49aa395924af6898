import Foundation
import Testing

@testable import Dashboard

@Suite struct DAGDrawingTests {
    static let statuses = ["pending", "running", "waiting_approval", "completed", "failed", "skipped", "cancelled"]

    static func chain(_ ids: [String], status: String = "completed") -> (nodes: [DAGNode], edges: [DAGEdge]) {
        let nodes = ids.map { DAGNode(id: $0, status: status) }
        let edges = zip(ids, ids.dropFirst()).map { DAGEdge(from: $0, to: $1) }
        return (nodes, edges)
    }

    @Test func nodeGroupsFollowTheContract() throws {
        let nodes = [
            DAGNode(id: "fetch", status: "completed", href: "/ui/runs/r1?step=fetch"),
            DAGNode(id: "fan", label: "Process items", status: "running", subtitle: "12/50 done"),
        ]
        let svg = try #require(DAGDrawing.svg(nodes: nodes, edges: [DAGEdge(from: "fetch", to: "fan")]))
        let root = try ParsedSVG(svg).root
        #expect(root.name == "svg")
        #expect(root.attributes["id"] == "dag")
        #expect(root.attributes["class"] == "dag")
        #expect(root.attributes["role"] == "img")
        #expect(root.attributes["aria-label"] == "Workflow graph, 2 steps: 1 completed, 1 running")
        #expect(root.attributes["viewBox"]?.hasPrefix("0 0 ") == true)

        let groups = root.all(class: "node")
        #expect(groups.count == 2)
        let fetch = try #require(groups.first)
        #expect(fetch.name == "g")
        #expect(fetch.classes == ["node", "status-completed"])
        #expect(fetch.attributes["id"] == "node-fetch")
        #expect(fetch.attributes["data-step"] == "fetch")
        #expect(fetch.attributes["data-status"] == "completed")
        #expect(fetch.child("title")?.text == "fetch: completed")
        #expect(fetch.child("rect") != nil)
        #expect(fetch.all(class: "glyph").first?.text == "✓")
        #expect(fetch.all(class: "label").first?.text == "fetch")

        let links = root.all("a")
        #expect(links.count == 1, "only the node with an href is a link")
        #expect(links.first?.attributes["href"] == "/ui/runs/r1?step=fetch")
        #expect(links.first?.children.first === fetch)

        let fan = groups[1]
        #expect(fan.all(class: "sub").first?.text == "12/50 done")
        #expect(fan.all(class: "label").first?.text == "Process items")
        #expect(fan.child("title")?.text == "fan: running — Process items — 12/50 done")
    }

    @Test func everyStatusHasItsOwnGlyphAndClass() throws {
        let nodes = Self.statuses.map { DAGNode(id: "step-\($0)", status: $0) }
        let root = try ParsedSVG(try #require(DAGDrawing.svg(nodes: nodes, edges: []))).root
        let groups = root.all(class: "node")
        #expect(groups.map { $0.classes.last } == Self.statuses.map { "status-\($0)" })
        let glyphs = groups.compactMap { $0.all(class: "glyph").first?.text }
        #expect(glyphs.count == Self.statuses.count)
        #expect(Set(glyphs).count == Self.statuses.count, "a status told only by colour: \(glyphs)")
        #expect(!glyphs.contains("?"))
    }

    @Test func unknownStatusStillDrawsWithASafeClass() throws {
        let svg = try #require(DAGDrawing.svg(nodes: [DAGNode(id: "a", status: "Weird Status\" onload=x")], edges: []))
        let group = try #require(try ParsedSVG(svg).root.all(class: "node").first)
        #expect(group.classes == ["node", "status-weird-status--onload-x"])
        #expect(group.attributes["data-status"] == "Weird Status\" onload=x")
        #expect(group.all(class: "glyph").first?.text == "?")
    }

    @Test func hostileIdsAndLabelsComeOutAsInertText() throws {
        let hostile = "<img src=x onerror=alert(1)>"
        let quoteBreak = "\"><script>alert('x')</script>"
        let nodes = [
            DAGNode(id: hostile, label: quoteBreak, status: "failed", subtitle: "</text><script>alert(2)</script>"),
            DAGNode(id: "a&b", label: "x' onmouseover='alert(3)", status: "<b>done</b>"),
        ]
        let svg = try #require(DAGDrawing.svg(nodes: nodes, edges: [DAGEdge(from: hostile, to: "a&b")], options: .init(maxNodes: nil)))
        #expect(!svg.contains("<img"))
        #expect(!svg.contains("<script"))
        #expect(!svg.contains("<b>"))
        #expect(cspSafe(svg))

        let root = try ParsedSVG(svg).root
        let names = Set(root.descendants.map(\.name))
        #expect(names.isSubset(of: ["svg", "defs", "marker", "path", "g", "a", "title", "rect", "text"]), "unexpected elements: \(names)")
        let groups = root.all(class: "node")
        #expect(groups.map { $0.attributes["data-step"] } == [hostile, "a&b"])
        #expect(groups[0].attributes["id"] == "node-" + hostile)
        #expect(groups[0].child("title")?.text.hasPrefix(hostile + ": failed") == true)
        #expect(groups[1].attributes["data-status"] == "<b>done</b>")
        let edge = try #require(root.all(class: "edge").first)
        #expect(edge.attributes["data-from"] == hostile)
        #expect(edge.attributes["data-to"] == "a&b")
        // No attribute anywhere starts an event handler.
        #expect(!root.descendants.contains { $0.attributes.keys.contains { $0.lowercased().hasPrefix("on") } })
    }

    @Test(arguments: ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "//evil.example/x", "/\t/evil.example", "vbscript:x"])
    func unsafeLinksAreDropped(href: String) throws {
        let svg = try #require(DAGDrawing.svg(nodes: [DAGNode(id: "a", status: "pending", href: href)], edges: []))
        let root = try ParsedSVG(svg).root
        #expect(root.all("a").isEmpty)
        #expect(root.all(class: "node").count == 1, "the node is still drawn, without a link")
    }

    @Test(arguments: ["/ui/runs/1?step=a&tab=logs", "?step=a", "#node-a", "https://example.com/x"])
    func safeLinksAreKept(href: String) throws {
        let svg = try #require(DAGDrawing.svg(nodes: [DAGNode(id: "a", status: "pending", href: href)], edges: []))
        #expect(try ParsedSVG(svg).root.all("a").first?.attributes["href"] == href)
    }

    @Test func longLabelsAreCutWithAnEllipsisAndKeptWholeInTheTitle() throws {
        let label = "Summarize every single document in the corpus, then write the executive report"
        let svg = try #require(DAGDrawing.svg(nodes: [DAGNode(id: "sum", label: label, status: "running")], edges: []))
        let group = try #require(try ParsedSVG(svg).root.all(class: "node").first)
        let shown = try #require(group.all(class: "label").first?.text)
        #expect(shown.hasSuffix("…"))
        #expect(shown.count < label.count)
        #expect(label.hasPrefix(String(shown.dropLast())))
        #expect(group.child("title")?.text == "sum: running — " + label)
    }

    @Test func tooLargeGraphsAreDeclinedUnlessTheCallerInsists() throws {
        let limit = DAGDrawing.defaultMaxNodes
        let atLimit = DAGDrawing.benchmarkGraph(nodes: limit)
        let overLimit = DAGDrawing.benchmarkGraph(nodes: limit + 1)
        #expect(DAGDrawing.svg(nodes: atLimit.nodes, edges: atLimit.edges) != nil)
        #expect(DAGDrawing.svg(nodes: overLimit.nodes, edges: overLimit.edges) == nil)
        #expect(DAGDrawing.isTooLarge(nodeCount: limit + 1))
        #expect(!DAGDrawing.isTooLarge(nodeCount: limit))
        #expect(DAGDrawing.svg(nodes: overLimit.nodes, edges: overLimit.edges, options: .init(maxNodes: nil)) != nil)
        let small = Self.chain(["a", "b", "c"])
        #expect(DAGDrawing.svg(nodes: small.nodes, edges: small.edges, options: .init(maxNodes: 2)) == nil)
        #expect(!DAGDrawing.isTooLarge(nodeCount: 10_000, options: .init(maxNodes: nil)))
    }

    @Test func twoDrawingsOnOnePageDoNotShareIds() throws {
        let graph = Self.chain(["a", "b"])
        let first = try #require(DAGDrawing.svg(nodes: graph.nodes, edges: graph.edges, options: .init(svgID: "preview-1", nodeIDPrefix: "p1-")))
        let root = try ParsedSVG(first).root
        #expect(root.attributes["id"] == "preview-1")
        #expect(root.all("marker").first?.attributes["id"] == "preview-1-arrow")
        #expect(root.all(class: "edge").first?.attributes["marker-end"] == "url(#preview-1-arrow)")
        #expect(root.all(class: "node").map { $0.attributes["id"] } == ["p1-a", "p1-b"])
    }

    @Test func sameInputGivesByteIdenticalSVG() throws {
        let graph = DAGDrawing.benchmarkGraph(nodes: 120, width: 7)
        let first = try #require(DAGDrawing.svg(nodes: graph.nodes, edges: graph.edges))
        for _ in 0..<3 {
            #expect(DAGDrawing.svg(nodes: graph.nodes, edges: graph.edges) == first)
        }
    }

    @Test func emptyGraphIsAValidEmptyDrawing() throws {
        let svg = try #require(DAGDrawing.svg(nodes: [], edges: []))
        let root = try ParsedSVG(svg).root
        #expect(root.attributes["id"] == "dag")
        #expect(root.all(class: "node").isEmpty)
        #expect(root.attributes["aria-label"] == "Workflow graph, 0 steps")
    }

    @Test func edgesAreCurvesWithArrowsAndBackEdgesAreMarked() throws {
        let nodes = ["x", "y", "z"].map { DAGNode(id: $0, status: "pending") }
        let edges = [DAGEdge(from: "x", to: "y"), DAGEdge(from: "y", to: "z"), DAGEdge(from: "z", to: "x")]
        let root = try ParsedSVG(try #require(DAGDrawing.svg(nodes: nodes, edges: edges))).root
        let paths = root.all(class: "edge")
        #expect(paths.count == 3)
        for path in paths {
            #expect(path.attributes["d"]?.hasPrefix("M") == true)
            #expect(path.attributes["d"]?.contains(" C") == true)
            #expect(path.attributes["fill"] == "none")
            #expect(path.attributes["marker-end"] == "url(#dag-arrow)")
        }
        #expect(paths.filter { $0.classes.contains("back") }.count == 1)
    }

    @Test func oneNodeCanBeRedrawnForALiveUpdate() throws {
        let before = [DAGNode(id: "a", status: "completed", href: "/ui/runs/r?step=a"), DAGNode(id: "b", status: "running")]
        let edges = [DAGEdge(from: "a", to: "b")]
        var after = before
        after[1].status = "failed"
        let full = try #require(DAGDrawing.svg(nodes: before, edges: edges))
        let fragment = try #require(DAGDrawing.nodeGroup(stepID: "b", in: DAGLayout(nodes: after, edges: edges)))
        let group = try ParsedSVG(fragment).root
        #expect(group.name == "g")
        #expect(group.attributes["id"] == "node-b")
        #expect(group.attributes["data-status"] == "failed")
        // Same place as in the full drawing, so swapping it in moves nothing.
        let drawn = try #require(try ParsedSVG(full).root.all(class: "node").first { $0.attributes["id"] == "node-b" })
        #expect(group.attributes["transform"] == drawn.attributes["transform"])
        // A linked node's fragment is the group alone: the page keeps the <a> around it.
        #expect(DAGDrawing.nodeGroup(stepID: "a", in: DAGLayout(nodes: after, edges: edges))?.hasPrefix("<g ") == true)
        #expect(DAGDrawing.nodeGroup(stepID: "ghost", in: DAGLayout(nodes: after, edges: edges)) == nil)
    }
}
