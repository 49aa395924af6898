import Foundation
import TestSupport
import Testing

/// schemathesis over the server's own documents, on the real engine: scripts/fuzz-api installs
/// schemathesis 4.32.5 in a venv, serves (with a workflows folder for `/api`), fuzzes every
/// operation with a fixed seed and a bounded number of examples, stops every run and deletes
/// what the fuzzing made, and checks nothing is left. Any 5xx, any response off the document
/// (status, body, header, content type, SSE event) or other finding of the checks in
/// scripts/fuzz-api.toml and scripts/fuzz-api-sandcastle.toml fails it. Without Docker, python3
/// or PyPI it fails (the script exits non-zero), never skips. One API at a time: each is a
/// server and a fuzzer on two cores.
@Suite(.serialized) struct FuzzTests {
    static func fuzz(_ api: String) async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try await runChild(
            "/usr/bin/env", ["FUZZ_API=\(api)", "/bin/bash", root.appendingPathComponent("scripts/fuzz-api").path], directory: root)
        print(script.text)
        #expect(script.status == 0, "scripts/fuzz-api (\(api)) failed:\n\(script.text.suffix(20_000))")
        #expect(script.text.contains("PASS schemathesis found nothing"))
        #expect(script.text.contains("PASS no leftovers"))
    }

    @Test(.timeLimit(.minutes(10)))
    func schemathesisFindsNothingInTheNativeAPI() async throws {
        try await Self.fuzz("native")
    }

    @Test(.timeLimit(.minutes(10)))
    func schemathesisFindsNothingInSandcastlesAPI() async throws {
        try await Self.fuzz("sandcastle")
    }
}
