import Foundation
import Testing

@testable import Seccomp

@Suite("Seccomp validation with libseccomp")
struct ValidationTests {
    @Test("the shipped default and strict filters are valid")
    func shippedAreValid() throws {
        for path in [Fixtures.defaultPath, Fixtures.strictPath] {
            let report = try Fixtures.document(path).validate()
            #expect(report.isValid, "\(report.errors)")
            #expect(report.libseccompVersion.hasPrefix("2."))
        }
        let strict = try Fixtures.document(Fixtures.strictPath).validate()
        #expect(strict.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"])
        // A strict filter must not carry names that exist on none of its architectures.
        #expect(!strict.warnings.contains { $0.message.contains("exists on none") })
    }

    @Test("an unknown syscall is an error naming it, its rule and its line:column")
    func unknownSyscall() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}"#,
            #"{"names": ["close", "opnat"], "action": "SCMP_ACT_ALLOW"}"#,
        ])
        let document = try SeccompDocument.parse(text, file: "custom.json")
        let report = document.validate()
        let error = try #require(report.errors.first)
        #expect(report.errors.count == 1)
        #expect(error.code == .unknownSyscall)
        #expect(error.message.contains("'opnat'"))
        #expect(error.message.contains("did you mean 'openat'?"))
        #expect(error.jsonPath == "syscalls[1].names[1]")
        #expect(error.file == "custom.json")
        #expect(error.location == SourceLocation(line: 7, column: 25))
        #expect(error.description.hasPrefix("custom.json:7:25: error: unknown syscall 'opnat'"))
        let thrown = try #require(throws: SeccompError.self) { try document.validated() }
        #expect(thrown.code == .unknownSyscall)
        #expect(thrown.message.contains("opnat"))
    }

    @Test("the location points at the right occurrence of a repeated bad name")
    func repeatedName() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["bogus_call"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}"#,
            #"{"names": ["bogus_call"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}"#,
        ])
        let errors = try SeccompDocument.parse(text).validate().errors
        #expect(errors.map(\.location?.line) == [6, 7])
    }

    @Test("a bad action is an error with its location")
    func badAction() throws {
        let text = Fixtures.text(rules: [#"{"names": ["read"], "action": "SCMP_ACT_ALOW"}"#])
        let errors = try SeccompDocument.parse(text).validate().errors
        #expect(errors.count == 1)
        #expect(errors[0].code == .invalidAction)
        #expect(errors[0].message.contains("SCMP_ACT_ALOW"))
        #expect(errors[0].jsonPath == "syscalls[0].action")
        #expect(errors[0].location?.line == 6)
    }

    @Test("errnoRet on an allow rule is an error")
    func errnoOnAllow() throws {
        let text = Fixtures.text(rules: [#"{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 1}"#])
        #expect(try SeccompDocument.parse(text).validate().errors.first?.code == .invalidAction)
    }

    @Test("a bad comparison operator and an out-of-range argument index are errors")
    func badArguments() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2, "op": "SCMP_CMP_EQUAL"}]}"#,
            #"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 2, "op": "SCMP_CMP_EQ"}]}"#,
        ])
        let errors = try SeccompDocument.parse(text).validate().errors
        #expect(errors.map(\.code) == [.invalidOperator, .invalidArgument])
        #expect(errors[0].message.contains("SCMP_CMP_EQUAL"))
        #expect(errors[0].location?.line == 6)
        #expect(errors[1].jsonPath == "syscalls[1].args[0].index")
        #expect(errors[1].location?.line == 7)
    }

    @Test("a negative argument index is refused while decoding")
    func negativeIndex() throws {
        let text = Fixtures.text(rules: [#"{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": -1, "value": 2, "op": "SCMP_CMP_EQ"}]}"#])
        let error = try #require(throws: SeccompError.self) { try SeccompDocument.parse(text) }
        #expect(error.code == .invalidArgument, "\(error.message) \(String(describing: error.cause))")
    }

    @Test("architectures together with archMap, and an unknown architecture, are errors")
    func architectures() throws {
        let both = #"""
            {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
             "archMap": [{"architecture": "SCMP_ARCH_X86_64"}], "syscalls": []}
            """#
        #expect(try SeccompDocument.parse(both).validate().errors.contains { $0.code == .invalidArchitecture })
        let unknown = Fixtures.text(rules: [], archMap: #"[{"architecture": "SCMP_ARCH_Z80"}]"#)
        let errors = try SeccompDocument.parse(unknown).validate().errors
        #expect(errors.first?.message.contains("SCMP_ARCH_Z80") == true)
    }

    @Test("names newer than the host's libseccomp are warnings, not errors")
    func newerNames() throws {
        let text = Fixtures.text(rules: [#"{"names": ["read", "mseal", "statmount"], "action": "SCMP_ACT_ALLOW"}"#])
        let report = try SeccompDocument.parse(text).validate()
        #expect(report.isValid)
        #expect(report.warnings.filter { $0.code == .unknownSyscall }.count == 2)
    }

    @Test("a 32-bit-only name in a 64-bit-only filter is flagged as having no effect")
    func nameOnNoArchitecture() throws {
        let text = Fixtures.text(
            rules: [#"{"names": ["chown32"], "action": "SCMP_ACT_ALLOW"}"#],
            archMap: #"[{"architecture": "SCMP_ARCH_X86_64"}]"#)
        let report = try SeccompDocument.parse(text).validate()
        #expect(report.isValid)
        #expect(report.warnings.contains { $0.message.contains("exists on none") })
    }
}
