import DockerEngine
import Foundation
import HTTPTransport
import Sandbox
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

/// Named workspaces under hostile use, on the real engine: names scoped per key, volumes a key
/// does not own never revealed, any valid name usable, and a browser that links cannot lead out of.
@Suite(.timeLimit(.minutes(3)))
struct DockerWorkspaceTests {
    static func unique(_ stem: String) -> String { "\(stem)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func keyID(_ key: String) -> String { APIKeyStore.keyID(APIKeyStore.digest(key)) }

    /// Removes whatever volumes a test left under these workspace names (its own, by their unique names).
    static func removeVolumes(ofWorkspaces names: [String]) async throws {
        let docker = try await DockerClient.connect()
        for name in names {
            for volume in try await docker.listVolumes(filters: .label(SandcastleLabels.workspace, name)) {
                try? await docker.removeVolume(name: volume.name, force: true)
            }
        }
    }

    static func names(_ response: (status: Int, body: [String: Any], text: String)) -> [String] {
        (response.body["workspaces"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    }

    @Test func aLinkOutOfTheWorkspaceShowsAsALinkAndLeadsNowhere() async throws {
        let name = Self.unique("sc-test-links")
        do {
            try await DockerServerFixture.with { s in
                let created = try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#)
                let id = try #require(created.body["id"] as? String, "\(created.text)")
                let links =
                    "mkdir sub && echo inside > sub/a.txt && ln -s / root && ln -s .. up && ln -s ../sub/../.. sub/climb"
                    + " && ln -s /proc/self/root proc && ln -s /etc/passwd passwd && ln -s sub inside"
                let made = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"\#(links)"}"#)
                #expect(made.body["exit_code"] as? Int == 0, "\(made.text)")
                #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)

                let top = try await s.call(.get, "/v1/workspaces/\(name)/files")
                let entries = top.body["entries"] as? [[String: Any]] ?? []
                let root = try #require(entries.first { $0["name"] as? String == "root" }, "\(top.text)")
                #expect(root["type"] as? String == "symlink")
                #expect(root["symlink_target"] as? String == "/")

                for path in ["root", "root/proc/1/fd", "root/etc", "up", "sub/climb", "proc", "passwd"] {
                    let listed = try await s.call(.get, "/v1/workspaces/\(name)/files?path=\(path)")
                    #expect(listed.status == 403, "\(path) leads out of the workspace: \(listed.text)")
                    #expect(s.errorCode(listed.body) == "permission_denied", "\(path): \(listed.text)")
                    #expect(listed.body["entries"] == nil, "\(path) lists nothing: \(listed.text)")
                }
                let inside = try await s.call(.get, "/v1/workspaces/\(name)/files?path=inside")
                #expect(inside.status == 200, "a link that stays inside is followed: \(inside.text)")
                #expect((inside.body["entries"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["a.txt", "climb"])

                // Sandkasten's browse and read go through the same helper.
                let browse = try await s.call(.get, "/v1/workspaces/\(name)/fs?path=root")
                #expect(browse.status == 403, "\(browse.text)")
                let secret = try await s.call(.get, "/v1/workspaces/\(name)/fs/read?path=passwd")
                #expect(secret.status == 403, "\(secret.text)")
                #expect(secret.body["content_base64"] == nil)
                let read = try await s.call(.get, "/v1/workspaces/\(name)/fs/read?path=inside/a.txt")
                #expect(read.body["content_base64"] as? String == Data("inside\n".utf8).base64EncodedString(), "\(read.text)")

                #expect(try await s.call(.delete, "/v1/workspaces/\(name)").status == 200)
            }
        } catch {
            try await Self.removeVolumes(ofWorkspaces: [name])
            throw error
        }
        try await Self.removeVolumes(ofWorkspaces: [name])
    }

    @Test func twoKeysEachHaveTheirOwnWorkspaceOfTheSameName() async throws {
        let name = Self.unique("sc-test-data")
        let (a, b) = (ServerFixture.key, ServerFixture.otherKey)
        do {
            try await DockerServerFixture.with(open: false) { s in
                #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#, key: a).status == 201)
                let createdB = try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#, key: b)
                #expect(createdB.status == 201, "the name is B's to use too: \(createdB.text)")
                #expect(createdB.body["name"] as? String == name)
                #expect((createdB.body["labels"] as? [String: String])?[SandcastleLabels.owner] == Self.keyID(b))
                #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#, key: b).status == 409)

                // Each key's sandboxes see that key's files only.
                for (key, text) in [(a, "alpha"), (b, "beta")] {
                    let made = try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#, key: key)
                    let id = try #require(made.body["id"] as? String, "\(made.text)")
                    #expect(made.body["workspace"] as? String == name)
                    let seen = try await s.call(
                        .post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"cat mine 2>/dev/null; echo \#(text) > mine"}"#, key: key)
                    #expect(seen.body["stdout"] as? String == "", "a fresh workspace for each key: \(seen.text)")
                    #expect(try await s.call(.delete, "/v1/sandboxes/\(id)", key: key).status == 200)
                }
                for (key, text) in [(a, "alpha"), (b, "beta")] {
                    // Other tests' workspaces of the same test key may be listed too.
                    #expect(Self.names(try await s.call(.get, "/v1/workspaces", key: key)).filter { $0 == name } == [name])
                    let read = try await s.call(.get, "/v1/workspaces/\(name)/fs/read?path=mine", key: key)
                    #expect(read.body["content_base64"] as? String == Data("\(text)\n".utf8).base64EncodedString(), "\(read.text)")
                }

                // The volumes: one each, named apart, labelled with their owner.
                let docker = try await DockerClient.connect()
                let volumes = try await docker.listVolumes(filters: .label(SandcastleLabels.workspace, name))
                let expected = [a, b].map { OwnedWorkspace(name: name, keyID: Self.keyID($0)).volumeName }
                #expect(Set(volumes.map(\.name)) == Set(expected))
                for volume in volumes {
                    #expect(volume.labels?[SandcastleLabels.managed] == "true")
                    #expect([Self.keyID(a), Self.keyID(b)].contains(volume.labels?[SandcastleLabels.owner] ?? ""))
                }

                // Deleting B's leaves A's.
                #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: b).status == 200)
                #expect(try await s.call(.get, "/v1/workspaces/\(name)/files", key: b).status == 404)
                #expect(try await s.call(.get, "/v1/workspaces/\(name)/files", key: a).status == 200)
                #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: b).status == 404)
                #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: a).status == 200)
            }
        } catch {
            try await Self.removeVolumes(ofWorkspaces: [name])
            throw error
        }
        #expect(try await DockerClient.connect().listVolumes(filters: .label(SandcastleLabels.workspace, name)).isEmpty)
    }

    @Test func aKeyNeverLearnsOfVolumesItDoesNotOwn() async throws {
        let foreign = Self.unique("sc-test-foreign")
        let run = "sandcastle-run-\(Self.unique("sc-test"))"
        let docker = try await DockerClient.connect()
        // Another program's volume, and one shaped like a workflow run's workspace.
        _ = try await docker.createVolume(name: foreign, labels: [SandcastleLabels.managed: "true"])
        _ = try await docker.createVolume(name: run, labels: [SandcastleLabels.managed: "true", SandcastleLabels.run: "x"])
        do {
            try await DockerServerFixture.with(open: false) { s in
                let key = ServerFixture.key
                #expect(Self.names(try await s.call(.get, "/v1/workspaces", key: key)).allSatisfy { $0 != foreign && $0 != run })
                for name in [foreign, run] {
                    #expect(try await s.call(.get, "/v1/workspaces/\(name)/files", key: key).status == 404)
                    #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: key).status == 404)
                    let created = try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#, key: key)
                    #expect(created.status == 201, "the name says nothing of the volume: \(created.text)")
                    let made = try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#, key: key)
                    let id = try #require(made.body["id"] as? String, "\(made.text)")
                    var mounting = DockerFilters.labels(["\(SandcastleLabels.managed)=true"])
                    mounting.add("volume", name)
                    #expect(try await docker.listContainers(all: true, filters: mounting).isEmpty, "the volume \(name) is never mounted")
                    #expect(try await s.call(.delete, "/v1/sandboxes/\(id)", key: key).status == 200)
                    #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: key).status == 200)
                }
            }
        } catch {
            try await Self.removeVolumes(ofWorkspaces: [foreign, run])
            try? await docker.removeVolume(name: foreign, force: true)
            try? await docker.removeVolume(name: run, force: true)
            throw error
        }
        // Untouched: still there, with their own labels only.
        #expect(try await docker.inspectVolume(name: foreign).labels?[SandcastleLabels.workspace] == nil)
        #expect(try await docker.inspectVolume(name: run).labels?[SandcastleLabels.run] == "x")
        try await docker.removeVolume(name: foreign, force: true)
        try await docker.removeVolume(name: run, force: true)
    }

    @Test func anyNameTheRuleAllowsWorksAndOthersAreRefusedWith400() async throws {
        let (one, other) = ("a", "b")
        do {
            try await DockerServerFixture.with(open: false) { s in
                let key = ServerFixture.key
                let created = try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(one)"}"#, key: key)
                #expect(created.status == 201, "\(created.text)")
                for name in [one, other] {
                    let made = try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#, key: key)
                    let id = try #require(made.body["id"] as? String, "\(made.text)")
                    #expect(try await s.call(.delete, "/v1/sandboxes/\(id)", key: key).status == 200)
                }
                let listed = Self.names(try await s.call(.get, "/v1/workspaces", key: key))
                #expect(listed.filter { $0 == one || $0 == other } == [one, other])
                #expect(try await s.call(.get, "/v1/workspaces/\(one)/files", key: key).status == 200)

                let long = String(repeating: "x", count: 65)
                // The last is a JSON escape: a name ending in a newline.
                for name in ["", long, "-a", ".a", "a/b", "a b", "ä", "a\\n"] {
                    let body = #"{"name":"\#(name)"}"#
                    let workspace = try await s.call(.post, "/v1/workspaces", json: body, key: key)
                    #expect(workspace.status == 400, "'\(name)': \(workspace.text)")
                    #expect(workspace.text.contains("1-64 letters, digits"), "the message names the rule: \(workspace.text)")
                    let sandbox = try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#, key: key)
                    #expect(sandbox.status == 400, "'\(name)': \(sandbox.text)")
                }
                for path in ["/v1/workspaces/\(long)", "/v1/workspaces/-a/files", "/v1/workspaces/-a/fs"] {
                    let method: HTTPMethod = path.hasSuffix(long) ? .delete : .get
                    #expect(try await s.call(method, path, key: key).status == 400, "\(path)")
                }
                for name in [one, other] {
                    #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: key).status == 200)
                }
            }
        } catch {
            // Short names are not unique to this test: remove exactly its own volumes.
            let docker = try await DockerClient.connect()
            for name in [one, other] {
                let volume = OwnedWorkspace(name: name, keyID: Self.keyID(ServerFixture.key)).volumeName
                try? await docker.removeVolume(name: volume, force: true)
            }
            throw error
        }
    }

    @Test func aWorkspaceMadeBeforeNamesWereScopedKeepsWorking() async throws {
        let name = Self.unique("sc-test-legacy")
        let docker = try await DockerClient.connect()
        // What a server before per-key names made: the volume called by the bare name.
        _ = try await docker.createVolume(
            name: name,
            labels: [
                SandcastleLabels.managed: "true", SandcastleLabels.workspace: name,
                SandcastleLabels.owner: Self.keyID(ServerFixture.key),
            ])
        do {
            try await DockerServerFixture.with(open: false) { s in
                let (a, b) = (ServerFixture.key, ServerFixture.otherKey)
                #expect(Self.names(try await s.call(.get, "/v1/workspaces", key: a)).contains(name))
                #expect(try await s.call(.post, "/v1/workspaces", json: #"{"name":"\#(name)"}"#, key: a).status == 409)
                let made = try await s.call(.post, "/v1/sandboxes", json: #"{"workspace":"\#(name)"}"#, key: a)
                let id = try #require(made.body["id"] as? String, "\(made.text)")
                _ = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"echo kept > note"}"#, key: a)
                var mounting = DockerFilters.labels(["\(SandcastleLabels.managed)=true"])
                mounting.add("volume", name)
                #expect(try await docker.listContainers(all: true, filters: mounting).count == 1, "the old volume is the one mounted")
                #expect(try await s.call(.delete, "/v1/sandboxes/\(id)", key: a).status == 200)
                let browse = try await s.call(.get, "/v1/workspaces/\(name)/files", key: a)
                #expect((browse.body["entries"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["note"], "\(browse.text)")
                // Still the owner's alone.
                #expect(!Self.names(try await s.call(.get, "/v1/workspaces", key: b)).contains(name))
                #expect(try await s.call(.get, "/v1/workspaces/\(name)/files", key: b).status == 404)
                #expect(try await s.call(.delete, "/v1/workspaces/\(name)", key: a).status == 200)
            }
        } catch {
            try await Self.removeVolumes(ofWorkspaces: [name])
            throw error
        }
        #expect(try await docker.listVolumes(filters: .label(SandcastleLabels.workspace, name)).isEmpty)
    }
}
