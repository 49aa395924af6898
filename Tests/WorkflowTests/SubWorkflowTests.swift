import Foundation
import Testing

@testable import Workflow

@Suite struct SubWorkflowTests {
    /// Writes files into a fresh temporary folder and returns it.
    func folder(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func mappingsAreCheckedAgainstTheChild() throws {
        let directory = try folder([
            "child.yaml": """
            name: child
            inputs:
              region: {type: string}
              limit: {type: integer, default: 5}
            steps:
              - {id: work, run: "echo {input.region} {input.limit}"}
            outputs:
              total: "{steps.work.output}"
            """,
            "parent.yaml": """
            name: parent
            steps:
              - id: ok
                type: sub_workflow
                sub_workflow:
                  workflow: child.yaml
                  input_mapping: {region: north, limit: "7"}
                  output_mapping: {sum: total}
              - id: bad
                sub_workflow:
                  workflow: child.yaml
                  input_mapping: {regoin: north, limit: lots}
                  output_mapping: {sum: totl}
              - id: missing
                sub_workflow: {workflow: nothere.yaml}
            """,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = WorkflowLoader().load(path: directory.appendingPathComponent("parent.yaml").path)
        let messages = result.errors.map { "\($0.location?.line ?? 0): \($0.message) | \($0.hint ?? "")" }
        let child = directory.appendingPathComponent("child.yaml").path
        #expect(messages.contains("12: \(child) has no input `regoin` | did you mean `region`?"), "\(messages)")
        #expect(messages.contains("12: input `limit` of \(child) must be an integer, found `lots` | "), "\(messages)")
        #expect(
            messages.contains("11: \(child) requires input `region`, which input_mapping does not give | add input_mapping: {region: \"{input.…}\"}"),
            "\(messages)")
        #expect(messages.contains("13: \(child) has no output `totl` | did you mean `total`?"), "\(messages)")
        #expect(
            messages.contains { $0.hasPrefix("15: cannot read sub-workflow \(directory.appendingPathComponent("nothere.yaml").path): no such file") },
            "\(messages)")
        #expect(messages.count == 5, "\(messages)")
        let ok = try #require(result.workflow?.step("ok")?.configuration(as: SubWorkflowConfiguration.self))
        #expect(ok.inputMapping.map(\.name) == ["region", "limit"])
        #expect(ok.outputMapping.map(\.childOutput.value) == ["total"])
    }

    @Test func recursionAndChildErrors() throws {
        let directory = try folder([
            "a.yaml": "name: a\nsteps:\n  - {id: call-b, sub_workflow: {workflow: b.yaml}}\n",
            "b.yaml": "name: b\nsteps:\n  - {id: call-a, sub_workflow: {workflow: a.yaml}}\n  - {id: broken, run: echo, dependson: x}\n",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = WorkflowLoader().load(path: directory.appendingPathComponent("a.yaml").path)
        let messages = result.errors.map { "\(($0.location?.file as NSString?)?.lastPathComponent ?? ""):\($0.location?.line ?? 0): \($0.message)" }
        #expect(messages.contains("b.yaml:3: sub-workflows recurse: a.yaml → b.yaml → a.yaml"), "\(messages)")
        #expect(messages.contains("b.yaml:4: unknown field `dependson` in step `broken`"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("a.yaml:3: sub-workflow") && $0.hasSuffix("has 2 errors (listed with its path)") }, "\(messages)")
    }

    @Test func depthLimit() throws {
        var files: [String: String] = [:]
        for level in 0..<7 {
            files["w\(level).yaml"] = "name: w\(level)\nsteps:\n  - {id: next, sub_workflow: {workflow: w\(level + 1).yaml}}\n"
        }
        files["w7.yaml"] = "name: w7\nsteps:\n  - {id: leaf, run: echo}\n"
        let directory = try folder(files)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = WorkflowLoader().load(path: directory.appendingPathComponent("w0.yaml").path)
        #expect(result.errors.contains { $0.message == "sub-workflows nest deeper than 5 levels" }, "\(lines(result))")
    }
}
