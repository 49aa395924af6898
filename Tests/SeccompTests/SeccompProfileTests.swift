import Foundation
import Testing

@testable import Seccomp

@Suite("Seccomp profile parsing")
struct SeccompProfileTests {
    @Test("the shipped default profile parses with Docker's fields")
    func parsesDefault() throws {
        let profile = try Fixtures.document(Fixtures.defaultPath).profile
        #expect(profile.defaultAction == "SCMP_ACT_ERRNO")
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.archMap?.first?.architecture == "SCMP_ARCH_X86_64")
        #expect(profile.archMap?.first?.subArchitectures == ["SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        let clone = try #require(profile.syscalls.first { $0.names == ["clone"] })
        #expect(clone.args == [ArgumentCondition(index: 0, value: 0x7E02_0000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        #expect(profile.syscalls.allSatisfy { $0.comment?.isEmpty == false })
        let arch = try #require(profile.syscalls.first { $0.names == ["arch_prctl"] })
        #expect(arch.includes?.arches == ["amd64", "x32"])
    }

    @Test("Docker's deprecated single 'name' and null args are accepted")
    func deprecatedForms() throws {
        let text = Fixtures.text(rules: [#"{"name": "read", "action": "SCMP_ACT_ALLOW", "args": null}"#])
        let profile = try SeccompDocument.parse(text).profile
        #expect(profile.syscalls[0].allNames == ["read"])
        #expect(profile.syscalls[0].conditionSets == [[]])
    }

    @Test("an unknown key is an error with its JSON path, line and column, and a suggestion")
    func unknownKey() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}"#,
            #"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "arg": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}"#,
        ])
        let error = try #require(throws: SeccompError.self) { try SeccompDocument.parse(text, file: "typo.json") }
        #expect(error.code == .unknownField)
        let issue = try #require(error.issues.first)
        #expect(issue.jsonPath == "syscalls[1].arg")
        #expect(issue.location == SourceLocation(line: 7, column: 55))
        #expect(error.message.contains("did you mean 'args'?"))
        #expect(error.message.contains("typo.json:7:55"))
    }

    @Test("text that is not JSON is an error, not a crash")
    func badJSON() throws {
        let error = try #require(throws: SeccompError.self) { try SeccompDocument.parse("{\"defaultAction\": ", file: "x.json") }
        #expect(error.code == .invalidJSON)
        #expect(error.message.contains("x.json"))
    }

    @Test("a missing action names the rule")
    func missingAction() throws {
        let error = try #require(throws: SeccompError.self) {
            try SeccompDocument.parse(Fixtures.text(rules: [#"{"names": ["read"]}"#]))
        }
        #expect(error.code == .missingField)
        #expect(error.issues.first?.jsonPath == "syscalls[0].action")
    }

    @Test("the compact JSON sent to the engine keeps every rule")
    func compact() throws {
        let document = try Fixtures.document(Fixtures.defaultPath)
        let compact = try document.compactJSON()
        #expect(!compact.contains("\n"))
        #expect(try SeccompDocument.parse(compact).profile == document.profile)
    }
}
