import Foundation

@testable import Seccomp

/// Paths into the repository and small profile builders shared by the tests.
enum Fixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let defaultPath = repository + "/seccomp/default.json"
    static let strictPath = repository + "/seccomp/strict.json"

    static func document(_ path: String) throws -> SeccompDocument { try SeccompDocument.load(path: path) }

    /// A minimal allowlist in Docker's format, one rule per line so locations are predictable.
    static func text(rules: [String], archMap: String = #"[{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}]"#) -> String {
        """
        {
          "defaultAction": "SCMP_ACT_ERRNO",
          "defaultErrnoRet": 1,
          "archMap": \(archMap),
          "syscalls": [
        \(rules.map { "    " + $0 }.joined(separator: ",\n"))
          ]
        }
        """
    }

    static let amd64 = EvaluationContext(architecture: .x86_64, capabilities: [], kernel: KernelVersion(major: 6, minor: 1))
}
