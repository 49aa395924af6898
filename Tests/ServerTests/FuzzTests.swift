import Foundation
import TestSupport
import Testing

/// schemathesis over the server's own /openapi.json, on the real engine: scripts/fuzz-api
/// installs schemathesis 4.32.5 in a venv, serves, fuzzes every operation with a fixed seed and a
/// bounded number of examples, deletes what the run made and checks nothing is left. Any 5xx,
/// any response off the document (status, body, content type, SSE event) or other finding of
/// the checks in scripts/fuzz-api.toml fails it. Without Docker, python3 or PyPI it fails (the
/// script exits non-zero), never skips.
@Suite struct FuzzTests {
    @Test(.timeLimit(.minutes(10)))
    func schemathesisFindsNothingInTheNativeAPI() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try await runChild("/bin/bash", [root.appendingPathComponent("scripts/fuzz-api").path], directory: root)
        print(script.text)
        #expect(script.status == 0, "scripts/fuzz-api failed:\n\(script.text.suffix(20_000))")
        #expect(script.text.contains("PASS schemathesis found nothing"))
        #expect(script.text.contains("PASS no leftovers"))
    }
}
