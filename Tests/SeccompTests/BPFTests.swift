import Foundation
import Testing

@testable import Seccomp

@Suite("BPF compilation with libseccomp")
struct BPFTests {
    @Test("default and strict compile; strict is the smaller program")
    func compiles() throws {
        let compiler = BPFCompiler()
        let standard = try compiler.compile(try Fixtures.document(Fixtures.defaultPath).profile)
        let strict = try compiler.compile(try Fixtures.document(Fixtures.strictPath).profile)
        #expect(standard.instructionCount > 0)
        #expect(strict.instructionCount > 0)
        #expect(strict.instructionCount < standard.instructionCount)
        #expect(standard.bytes.count == standard.instructionCount * 8)
        // On x86-64 the default covers the 32-bit ABIs through its archMap; strict does not.
        if Architecture.native == .x86_64 {
            #expect(standard.architectures == [.x86_64, .x86, .x32])
            #expect(strict.architectures == [.x86_64])
        }
        // Names this libseccomp cannot resolve are left out, as runc does.
        #expect(standard.skippedUnknownNames.contains("statmount"))
    }

    @Test("the emitted file holds 8 bytes per instruction")
    func emit() throws {
        let filter = try BPFCompiler().compile(try Fixtures.document(Fixtures.strictPath).profile)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("strict-\(UUID().uuidString).bpf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try filter.write(to: path)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size == 8 * filter.instructionCount)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(filter.bytes))
    }

    @Test("the compiled filter agrees with the model on every name and every boundary argument")
    func modelMatchesFilter() throws {
        for path in [Fixtures.defaultPath, Fixtures.strictPath] {
            let profile = try Fixtures.document(path).profile
            let context = EvaluationContext.host()
            let filter = try BPFCompiler().compile(profile, context: context)
            let expanded = profile.expanded(for: context)
            let names = SyscallTable.allNames(architectures: [.native]).union(expanded.names)
            var checked = 0
            for name in names.sorted() {
                let conditions = (expanded.rulesByName[name] ?? []).flatMap { expanded.rules[$0].conditionSets.flatMap { $0 } }
                for arguments in ProfileDiff.witnesses(for: conditions) {
                    guard let compiled = try filter.action(for: name, arguments: arguments) else { continue }
                    var modelled = expanded.action(for: name, arguments: arguments)
                    // Names this libseccomp cannot resolve are not in the filter: they get the default.
                    if filter.skippedUnknownNames.contains(name) { modelled = expanded.defaultAction }
                    #expect(compiled == modelled, "\(path): \(name)\(arguments)")
                    checked += 1
                }
            }
            #expect(checked > 300)
        }
    }

    @Test("a rule repeating the default action is left out, as runc does")
    func defaultActionRule() throws {
        let text = Fixtures.text(rules: [
            #"{"names": ["read"], "action": "SCMP_ACT_ALLOW"}"#,
            #"{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}"#,
        ])
        let filter = try BPFCompiler().compile(try SeccompDocument.parse(text).profile)
        #expect(filter.skippedDefaultActionNames == ["ptrace"])
        #expect(try filter.action(for: "ptrace") == .errno(1))
        #expect(try filter.action(for: "read") == .allow)
    }

    @Test("calls from an architecture outside the filter are killed")
    func badArchitecture() throws {
        guard Architecture.native == .x86_64 else { return }
        let filter = try BPFCompiler().compile(try Fixtures.document(Fixtures.strictPath).profile)
        // i386 getpid (20) under a filter that covers x86-64 only.
        #expect(try filter.action(forSyscallNumber: 20, architecture: .x86) == .killThread)
        // x32 calls carry bit 30 on the x86-64 audit arch; they must not reach the allow rules.
        #expect(try filter.action(forSyscallNumber: 0x4000_0000 | 39, architecture: .x86_64) != .allow)
    }
}
