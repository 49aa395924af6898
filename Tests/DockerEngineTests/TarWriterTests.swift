import Foundation
import TestSupport
import Testing

@testable import DockerEngine

@Suite struct TarWriterTests {
    static func run(_ arguments: [String], in directory: String? = nil) async throws -> (Int32, String) {
        let tar = try await runChild("/usr/bin/tar", arguments, directory: directory.map { URL(fileURLWithPath: $0) })
        return (tar.status, tar.text)
    }

    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-tar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func tarListsAndExtractsEveryEntry() async throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A multi-MiB binary streamed from disk, as in a build context.
        let big = (0..<(5 << 20) + 123).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let bigPath = "\(dir)/runner.bin"
        try Data(big).write(to: URL(fileURLWithPath: bigPath))
        chmod(bigPath, 0o755)

        let longName = (0..<12).map { "directory-\($0)" }.joined(separator: "/") + "/file.txt" // > 100 bytes, splits into prefix
        let veryLongName = String(repeating: "x", count: 180) + ".txt" // one component > 100: needs PAX

        let tarPath = "\(dir)/context.tar"
        let writer = try TarWriter(path: tarPath)
        try writer.addFile("Dockerfile", contents: Array("FROM scratch\n".utf8))
        try writer.addDirectory("bin")
        try writer.addFile("bin/runner", contentsOf: bigPath)
        try writer.addFile("./scripts/run.sh", contents: Array("#!/bin/sh\necho hi\n".utf8), mode: 0o750)
        try writer.addFile(longName, contents: Array("deep".utf8))
        try writer.addFile(veryLongName, contents: Array("long".utf8))
        try writer.addSymlink("bin/current", target: "runner")
        #expect(try writer.finish() == [])

        let (listStatus, listing) = try await Self.run(["-tvf", tarPath])
        #expect(listStatus == 0, "\(listing)")
        #expect(listing.contains("-rwxr-x--- root/root"))
        #expect(listing.contains("scripts/run.sh"))
        #expect(listing.contains("bin/current -> runner"))

        let out = "\(dir)/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let (status, output) = try await Self.run(["-xf", tarPath, "-C", out])
        #expect(status == 0, "\(output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/bin/runner")) == Data(big))
        #expect(try String(contentsOfFile: "\(out)/Dockerfile", encoding: .utf8) == "FROM scratch\n")
        #expect(try String(contentsOfFile: "\(out)/\(longName)", encoding: .utf8) == "deep")
        #expect(try String(contentsOfFile: "\(out)/\(veryLongName)", encoding: .utf8) == "long")
        let runnerMode = try FileManager.default.attributesOfItem(atPath: "\(out)/bin/runner")[.posixPermissions] as? Int
        #expect(runnerMode == 0o755)
        let scriptMode = try FileManager.default.attributesOfItem(atPath: "\(out)/scripts/run.sh")[.posixPermissions] as? Int
        #expect(scriptMode == 0o750)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(out)/bin/current") == "runner")
    }

    @Test func inMemoryArchiveIsDeterministicAndBlockAligned() async throws {
        func build() throws -> [UInt8] {
            let writer = TarWriter()
            try writer.addFile("a.txt", contents: Array("alpha".utf8))
            try writer.addFile("b/c.txt", contents: [UInt8](repeating: 1, count: 513), mode: 0o600)
            return try writer.finish()
        }
        let first = try build()
        #expect(first == (try build()))
        // 2 × (header + data blocks) + 2 end blocks: a.txt 512+512, b/c.txt 512+1024, end 1024.
        let expectedSize: Int = 512 + 512 + 512 + 1024 + 1024
        #expect(first.count == expectedSize)
        #expect(first.count % 512 == 0)

        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(first).write(to: URL(fileURLWithPath: "\(dir)/m.tar"))
        let (status, listing) = try await Self.run(["-tvf", "\(dir)/m.tar"])
        #expect(status == 0)
        #expect(listing.contains("-rw------- root/root       513 1970-01-01"))
    }

    @Test func rejectsEscapingAndEmptyPaths() {
        let writer = TarWriter()
        #expect(throws: DockerError.self) { try writer.addFile("../etc/passwd", contents: []) }
        #expect(throws: DockerError.self) { try writer.addFile("a/../../b", contents: []) }
        #expect(throws: DockerError.self) { try writer.addFile("/", contents: []) }
        #expect(throws: DockerError.self) { try writer.addFile("x", contentsOf: "/nonexistent/file") }
        #expect((try? TarWriter.normalize("/abs/./path")) == "abs/path")
    }
}
