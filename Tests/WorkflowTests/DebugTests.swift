import Testing
@testable import Workflow
@Test func debugFiles() throws {
    let result = load("name: x\ninputs:\n  files: {type: list, default: []}\nsteps:\n  - {id: a, run: \"echo {input.files}\"}\n")
    let wf = try #require(result.workflow)
    print("INPUT", wf.input("files") as Any)
    let (v, d) = InputBinder.bind(wf, provided: ["files": .value(.integer(3))])
    print("BIND", v, d)
}
