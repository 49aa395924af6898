import Foundation
import RunnerClient
import RunnerProtocol
import Testing

/// A runner started with ``RunnerWire/filesBeneathVariable`` (what the server's workspace browser
/// runs): no path leaves the directory, through symlinks of any kind at any component, and
/// nothing is changed. Over pipes, with the workspace a host directory holding hostile links.
@Suite("Runner with confined files", .timeLimit(.minutes(2)))
struct ConfinedFilesTests {
    /// A file outside the workspace that the links below point at.
    static let secret = "outside the workspace"

    /// Runs `body` with a confined runner whose workspace holds `sub/a.txt` and links that a
    /// sandbox could have left there, pointing out of it and inside it.
    static func withConfinedRunner(_ body: (RunnerConnection, String) async throws -> Void) async throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("runner-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Data(secret.utf8).write(to: outside.appendingPathComponent("secret.txt"))
        let runner = try LocalRunner { workspace in
            let files = FileManager.default
            try files.createDirectory(at: workspace.appendingPathComponent("sub"), withIntermediateDirectories: true)
            try Data("inside".utf8).write(to: workspace.appendingPathComponent("sub/a.txt"))
            let links = [
                "root": "/", // absolute, to the container's root
                "out": outside.path, // absolute, to a directory outside
                "secret": outside.path + "/secret.txt", // the final component, to a file outside
                "up": "..", // relative, climbing out
                "sub/climb": "../../" + outside.lastPathComponent, // relative, deeper, climbing out
                "proc": "/proc/self/root", // a magic link's way out
                "inside": "sub", // relative, staying inside
                "sub/again": "../sub/a.txt", // relative through '..', staying inside
            ]
            for (name, target) in links {
                try files.createSymbolicLink(atPath: workspace.appendingPathComponent(name).path, withDestinationPath: target)
            }
            return [RunnerWire.filesBeneathVariable: workspace.path]
        }
        let connection = RunnerConnection(channel: runner)
        do {
            _ = try await connection.handshake(timeout: .seconds(20))
            try await body(connection, runner.workspace.path)
        } catch {
            try? await runner.stop()
            throw error
        }
        try await runner.stop()
    }

    /// Expects the runner to refuse `operation` with permission denied.
    static func expectRefused(
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ operation: () async throws -> Void
    ) async {
        do {
            try await operation()
            Issue.record("\(what) was served", sourceLocation: sourceLocation)
        } catch let error as RunnerClientError {
            #expect(error.failure?.code == .permissionDenied, "\(what): \(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(what): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a listing shows links as links, without following them")
    func listingShowsLinks() async throws {
        try await Self.withConfinedRunner { connection, workspace async throws in
            let entries = try await connection.list(path: workspace)
            let root = try #require(entries.first { $0.name == "root" })
            #expect(root.kind == .symlink)
            #expect(root.symlinkTarget == "/")
            #expect(entries.first { $0.name == "sub" }?.kind == .directory)
            #expect(try await connection.stat(path: workspace + "/secret").kind == .symlink, "stat does not follow the last link")
            #expect(try await connection.stat(path: workspace).kind == .directory)
        }
    }

    @Test("no link leads out: absolute, relative, at any component, the last one included")
    func linksOutAreRefused() async throws {
        try await Self.withConfinedRunner { connection, workspace async throws in
            for path in ["root", "root/proc/1/fd", "out", "up", "sub/climb", "proc", "proc/etc"] {
                await Self.expectRefused("list \(path)") { _ = try await connection.list(path: workspace + "/" + path) }
            }
            for path in ["root/etc/hostname", "out/secret.txt", "up/" + URL(fileURLWithPath: workspace).lastPathComponent + "/sub"] {
                await Self.expectRefused("stat \(path)") { _ = try await connection.stat(path: workspace + "/" + path) }
            }
            for path in ["secret", "out/secret.txt", "root/etc/passwd", "sub/climb/secret.txt"] {
                await Self.expectRefused("read \(path)") {
                    _ = try await connection.readFileBytes(ReadFileRequest(path: workspace + "/" + path))
                }
            }
            // Outside as text, too: '..' past the root and paths elsewhere.
            await Self.expectRefused("list /") { _ = try await connection.list(path: "/") }
            await Self.expectRefused("list ../..") { _ = try await connection.list(path: workspace + "/sub/../..") }
            await Self.expectRefused("stat /etc/passwd") { _ = try await connection.stat(path: "/etc/passwd") }
        }
    }

    @Test("links that stay inside are followed")
    func linksInsideAreFollowed() async throws {
        try await Self.withConfinedRunner { connection, workspace async throws in
            #expect(try await connection.list(path: workspace + "/inside").map(\.name).contains("a.txt"))
            #expect(try await connection.readFileBytes(ReadFileRequest(path: workspace + "/inside/a.txt")) == Array("inside".utf8))
            #expect(try await connection.readFileBytes(ReadFileRequest(path: workspace + "/sub/again")) == Array("inside".utf8))
        }
    }

    @Test("nothing that changes files is served")
    func changesAreRefused() async throws {
        try await Self.withConfinedRunner { connection, workspace async throws in
            await Self.expectRefused("write") {
                _ = try await connection.writeFile(WriteFileRequest(path: workspace + "/new.txt"), bytes: [1])
            }
            await Self.expectRefused("mkdir") { try await connection.makeDirectory(path: workspace + "/new") }
            await Self.expectRefused("remove") { try await connection.remove(path: workspace + "/sub/a.txt") }
            await Self.expectRefused("move") { try await connection.move(from: workspace + "/sub/a.txt", to: workspace + "/b.txt") }
            #expect(try await connection.list(path: workspace + "/sub").map(\.name).contains("a.txt"))
        }
    }
}
