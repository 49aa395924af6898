import Testing

@testable import Workflow

@Suite struct GraphTests {
    func diamond() throws -> WorkflowDefinition {
        let result = load(
            """
            name: diamond
            steps:
              - {id: fetch, run: x}
              - {id: left, run: x, depends_on: [fetch], image: python}
              - {id: right, run: x, depends_on: [fetch], when: "steps.fetch.output.ok"}
              - {id: join, run: x, depends_on: [left, right], parallel_over: "{steps.left.output}", max_concurrency: 3}
              - {id: gate, type: approval, depends_on: [join]}
              - {id: lone, run: x}
            """)
        #expect(result.isValid, "\(lines(result))")
        return try #require(result.workflow)
    }

    @Test func layersAncestorsAndOrder() throws {
        let graph = WorkflowGraph(try diamond())
        #expect(graph.layers() == [["fetch", "lone"], ["left", "right"], ["join"], ["gate"]])
        #expect(graph.ancestors(of: "gate") == ["fetch", "left", "right", "join"])
        #expect(graph.descendants(of: "left") == ["join", "gate"])
        #expect(graph.isUpstream("fetch", of: "join"))
        #expect(!graph.isUpstream("left", of: "right"))
        #expect(graph.topologicalOrder() == ["fetch", "left", "right", "join", "gate", "lone"])
        #expect(graph.cycles().isEmpty)
    }

    @Test func cyclesHaveNoOrder() {
        let graph = WorkflowGraph(edges: [("a", ["b"]), ("b", ["a"]), ("c", [])])
        #expect(graph.topologicalOrder() == nil)
        #expect(graph.cycles() == [["b", "a", "b"]] || graph.cycles() == [["a", "b", "a"]])
        #expect(graph.layers() == [["c"]])
    }

    @Test func readySetHasNoLayerBarrier() throws {
        var tracker = DependencyTracker(graph: WorkflowGraph(try diamond()))
        #expect(tracker.readySteps == ["fetch", "lone"])
        tracker.markStarted("fetch")
        tracker.markStarted("lone")
        #expect(tracker.readySteps.isEmpty)
        var change = tracker.markFinished("fetch", .completed)
        #expect(change.ready == ["left", "right"])
        tracker.markStarted("left")
        tracker.markStarted("right")
        // `lone` (layer 1) is still running, yet `join` (layer 3) starts as soon as its own dependencies finish.
        change = tracker.markFinished("left", .completed)
        #expect(change.ready.isEmpty)
        change = tracker.markFinished("right", .skipped)
        #expect(change.ready == ["join"])
        #expect(tracker.runningSteps == ["lone"])
        tracker.markStarted("join")
        change = tracker.markFinished("join", .failedContinuing)
        #expect(change.ready == ["gate"])
        #expect(!tracker.isComplete)
    }

    @Test func skipPrunesTheBranchAndAbortStopsEverything() throws {
        var tracker = DependencyTracker(graph: WorkflowGraph(try diamond()))
        tracker.markStarted("fetch")
        tracker.markFinished("fetch", .completed)
        tracker.markStarted("left")
        let change = tracker.markFinished("left", .pruned)
        #expect(Set(change.pruned) == ["join", "gate"])
        #expect(tracker.readySteps == ["right", "lone"])
        tracker.markStarted("right")
        tracker.markFinished("right", .completed)
        #expect(tracker.readySteps == ["lone"])

        var aborting = DependencyTracker(graph: WorkflowGraph(try diamond()))
        aborting.markStarted("fetch")
        aborting.markStarted("lone")
        aborting.markFinished("fetch", .failedAborting)
        #expect(aborting.readySteps.isEmpty)
        #expect(!aborting.isComplete)
        aborting.markFinished("lone", .completed)
        #expect(aborting.isComplete)
    }

    @Test func textRendering() throws {
        let text = GraphRenderer.render(try diamond(), format: .text)
        #expect(
            text == """
                diamond: 6 steps in 4 layers
                layer 1
                  fetch     run · base
                  lone      run · base
                layer 2
                  left      run · python  ← fetch
                  right     run · base · when steps.fetch.output.ok  ← fetch
                layer 3
                  join      run · base · for each {steps.left.output} (3 at a time)  ← left, right
                layer 4
                  gate      approval  ← join

                """)
        let tree = GraphRenderer.render(try diamond(), format: .tree)
        #expect(tree.contains("├─ fetch  run · base\n│  ├─ left  run · python\n│  │  └─ join"))
        #expect(tree.contains("│  └─ right  run · base · when steps.fetch.output.ok\n│     └─ join (see above)"))
        #expect(tree.hasSuffix("└─ lone  run · base\n"))
    }

    @Test func dotRendering() throws {
        let dot = GraphRenderer.render(try diamond(), format: .dot)
        #expect(dot.hasPrefix("digraph \"diamond\" {\n  rankdir=LR;"))
        #expect(dot.contains(#"  "gate" [label="gate\napproval", shape=hexagon];"#))
        #expect(dot.contains(#"  "right" [label="right\nrun · base · when steps.fetch.output.ok", style="rounded,dashed"];"#))
        #expect(dot.contains(#"  "join" [label="join\nrun · base · for each {steps.left.output} (3 at a time)", peripheries=2];"#))
        #expect(dot.contains("  \"fetch\" -> \"left\";\n  \"fetch\" -> \"right\";\n  \"left\" -> \"join\";\n  \"right\" -> \"join\";\n  \"join\" -> \"gate\";"))
        #expect(dot.hasSuffix("}\n"))
    }

    @Test func mermaidRendering() throws {
        let mermaid = GraphRenderer.render(try diamond(), format: .mermaid)
        #expect(
            mermaid == """
                flowchart LR
                  s0["fetch<br/>run · base"]
                  s1["left<br/>run · python"]
                  s2["right<br/>run · base · when steps.fetch.output.ok"]
                  s3["join<br/>run · base · for each {steps.left.output} (3 at a time)"]
                  s4{{"gate<br/>approval"}}
                  s5["lone<br/>run · base"]
                  s0 --> s1
                  s0 --> s2
                  s1 --> s3
                  s2 --> s3
                  s3 --> s4

                """)
    }

    @Test func labelsAreEscaped() throws {
        let result = load("name: 'say \"hi\"'\nsteps:\n  - {id: a, run: x, when: \"input.x == '<b>\\\"'\"}\ninputs: {x: {default: y}}\n")
        let workflow = try #require(result.workflow)
        let dot = GraphRenderer.render(workflow, format: .dot)
        #expect(dot.contains(#"digraph "say \"hi\"" {"#))
        #expect(dot.contains(#"when input.x == '<b>\"'"#))
        let mermaid = GraphRenderer.render(workflow, format: .mermaid)
        #expect(mermaid.contains("when input.x == '#lt;b#gt;#quot;'"))
    }
}
