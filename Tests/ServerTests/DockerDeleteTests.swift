import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Delete on the real engine: the answer means out of use, the container removal that follows in
/// the background leaves nothing behind, and whatever needs that removal waits for it.
@Suite(.timeLimit(.minutes(3)))
struct DockerDeleteTests {
    @Test func deleteCutsTheSandboxOffAndItsContainerIsRemovedInTheBackground() async throws {
        try await DockerServerFixture.with { s in
            var ids: [String] = []
            for _ in 0..<3 {
                let created = try await s.call(.post, "/v1/sandboxes", json: "{}")
                #expect(created.status == 201, "\(created.text)")
                ids.append(try #require(created.body["id"] as? String))
            }
            // A command streaming at the moment of the delete.
            let stream = try await s.client.stream(
                HTTPRequest(
                    method: .post, path: "/v1/sandboxes/\(ids[0])/exec/stream",
                    headers: ["Content-Type": "application/json"],
                    body: .bytes(Array(#"{"command":"for i in $(seq 100); do echo tick $i; sleep 0.1; done"}"#.utf8))))
            #expect(stream.status == 200)
            var chunks = stream.body.makeAsyncIterator()
            var text = ""
            while !text.contains("tick 1\\n"), let chunk = try await chunks.next() { text += String(decoding: chunk, as: UTF8.self) }

            for id in ids { #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200) }

            // The stream ends as gone, without the command's remaining output or an exit.
            while let chunk = try await chunks.next() { text += String(decoding: chunk, as: UTF8.self) }
            #expect(text.contains("event: error") && text.contains("sandbox_gone"), "\(text)")
            #expect(!text.contains("event: exit") && !text.contains("tick 100"), "\(text)")
            for id in ids {
                let exec = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"true"}"#)
                #expect(exec.status == 410 && s.errorCode(exec.body) == "sandbox_gone", "\(exec.text)")
                #expect(try await s.call(.get, "/v1/sandboxes/\(id)").body["status"] as? String == "deleted")
                #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200, "deleting again is a no-op")
            }

            await s.service.awaitPendingRemovals()
            let docker = try await DockerClient.connect()
            let label = "\(SandcastleLabels.server)=\(s.service.serverID)"
            let containers = try await docker.listContainers(all: true, filters: .labels([label]))
            #expect(containers.isEmpty, "removed once the pending removals finished: \(containers.map(\.id))")
            let volumes = try await docker.listVolumes(filters: .labels([label]))
            #expect(volumes.isEmpty, "the anonymous workspaces went with them: \(volumes.map(\.name))")
        }
    }

    @Test func aNamedWorkspaceIsFreeRightAfterTheSandboxUsingItIsDeleted() async throws {
        let name = "sc-test-ws-\(UUID().uuidString.prefix(8).lowercased())"
        try await DockerServerFixture.with { s in
            for round in 0..<3 {
                #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#).status == 201)
                let id = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#).body["id"] as? String)
                // Still writing into the workspace when the sandbox is deleted.
                let writer = #"{"command":"(while :; do echo x >> /workspace/log; sleep 0.01; done) > /dev/null 2>&1 & true"}"#
                #expect(try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: writer).status == 200)
                #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
                if round == 1 {
                    // A new sandbox on the workspace sees it quiet: the deleted one's writer is gone.
                    let next = try #require(try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#).body["id"] as? String)
                    let sizes = try await s.call(
                        .post, "/v1/sandboxes/\(next)/exec",
                        json: #"{"command":"wc -c < log; sleep 0.3; wc -c < log"}"#)
                    let lines = (sizes.body["stdout"] as? String ?? "").split(separator: "\n")
                    #expect(lines.count == 2 && lines[0] == lines[1], "\(sizes.text)")
                    #expect(try await s.call(.delete, "/v1/sandboxes/\(next)").status == 200)
                }
                let removed = try await s.call(.delete, "/v1/workspaces/\(name)")
                #expect(removed.status == 200, "round \(round): \(removed.text)")
            }
        }
        let docker = try await DockerClient.connect()
        #expect(try await docker.listVolumes(filters: .label(SandcastleLabels.workspace, name)).isEmpty)
    }
}
