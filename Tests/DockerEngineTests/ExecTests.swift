import Foundation
import Testing

@testable import DockerEngine

/// `docker exec` through the Engine API (create, start attached, inspect): the per-command path
/// other sandboxes take, which `sandcastle bench agent` measures as its baseline.
@Suite("Exec against the real engine")
struct ExecTests {
    @Test func execRunsInTheContainerAndReportsOutputAndExitCode() async throws {
        let docker = try Fixture.client()
        try await Fixture.withContainer(docker, Fixture.config(["sleep", "300"])) { id in
            try await docker.startContainer(id: id)
            let output = try await docker.exec(container: id, command: ["sh", "-c", "echo out; echo err >&2; cd /tmp && pwd; exit 3"])
            #expect(String(decoding: output.stdout, as: UTF8.self) == "out\n/tmp\n")
            #expect(String(decoding: output.stderr, as: UTF8.self) == "err\n")
            #expect(output.exitCode == 3)

            // The parts one by one, with an environment and a working directory of the exec's own.
            let exec = try await docker.createExec(
                container: id, command: ["sh", "-c", "echo $GREETING; pwd"], environment: ["GREETING=hi"], workingDir: "/etc")
            let frames = try await docker.startExec(id: exec)
            #expect(String(decoding: frames.flatMap(\.payload), as: UTF8.self) == "hi\n/etc\n")
            let inspected = try await docker.inspectExec(id: exec)
            #expect(inspected.exitCode == 0 && !inspected.running && inspected.id == exec)
        }
    }

    @Test func execOfAMissingProgramOrInAStoppedContainerIsAnError() async throws {
        let docker = try Fixture.client()
        try await Fixture.withContainer(docker, Fixture.config(["sleep", "300"])) { id in
            try await docker.startContainer(id: id)
            // The engine reports a program it cannot start as exit code 126/127, not as an HTTP error.
            let missing = try await docker.exec(container: id, command: ["/no/such/program"])
            #expect([126, 127].contains(missing.exitCode))
            try await docker.killContainer(id: id)
            _ = try await docker.waitContainer(id: id)
            let error = await #expect(throws: DockerError.self) { try await docker.exec(container: id, command: ["true"]) }
            #expect(error?.statusCode == 409, "\(String(describing: error))")
        }
    }
}
