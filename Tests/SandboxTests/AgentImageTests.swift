import Foundation
import Sandbox
import SandboxDocker
import Testing

/// The `agent` image (built by `sandcastle images build`): the tools agents reach for first
/// work in a real sandbox under the `default` isolation profile (read-only root, no network,
/// seccomp, uid 1000).
@Suite("The agent image in a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct AgentImageTests {
    static let spec = SandboxSpec(image: "agent", profile: "default")

    @Test("rg, python3, node, git, jq and curl answer --version under the default profile")
    func versions() async throws {
        try await SandboxFixture.with(Self.spec) { (sandbox: DockerSandbox) async throws in
            let expectations = [
                ("rg --version", "ripgrep "), ("python3 --version", "Python 3."), ("node --version", "v"),
                ("git --version", "git version "), ("jq --version", "jq-"), ("curl --version", "curl "),
                ("pip --version", "pip "),
            ]
            for (command, prefix) in expectations {
                let output = try await sandbox.run(command)
                #expect(output.exitCode == 0, "\(command): exit \(output.exitCode), stderr \(output.stderrText)")
                #expect(output.text.hasPrefix(prefix), "\(command) printed \(output.text)")
            }
        }
    }

    @Test("the tools do real work in the workspace")
    func work() async throws {
        try await SandboxFixture.with(Self.spec) { (sandbox: DockerSandbox) async throws in
            let setup = try await sandbox.run("mkdir -p src/deep && printf 'alpha\\nneedle here\\n' > src/a.txt && echo 'x = 1' > src/deep/b.py")
            #expect(setup.exitCode == 0, "\(setup.stderrText)")
            // Shell lines run on the persistent shell's terminal, where rg and jq colour their
            // output and rg groups matches under headings; an argv gets pipes and plain output.
            let rg = try await sandbox.run(arguments: ["rg", "-n", "needle", "src"])
            #expect(rg.text == "src/a.txt:2:needle here\n", "\(rg.stderrText)")
            #expect(try await sandbox.run("rg -n --no-heading --color never needle src").trimmed == "src/a.txt:2:needle here")
            #expect(try await sandbox.run("rg --files --glob '*.py' src").trimmed == "src/deep/b.py")
            #expect(try await sandbox.run(#"echo '{"a": [1, 2, 3]}' | jq -M -c '.a | length'"#).trimmed == "3")
            #expect(try await sandbox.run(#"python3 -c 'import json; print(json.dumps({"ok": True}))'"#).trimmed == #"{"ok": true}"#)
            #expect(try await sandbox.run(#"node -e 'console.log(JSON.stringify({ok: true}))'"#).trimmed == #"{"ok":true}"#)
            let venv = try await sandbox.run("python3 -m venv /tmp/venv && /tmp/venv/bin/python -c 'import sys; print(sys.prefix)'")
            #expect(venv.trimmed == "/tmp/venv", "\(venv.stderrText)")
            let git = try await sandbox.run(
                "git init -q repo && cd repo && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m first && git log --format=%s")
            #expect(git.trimmed == "first", "\(git.stderrText)")
            #expect(try await sandbox.run("id -u").trimmed == "1000")
        }
    }
}
