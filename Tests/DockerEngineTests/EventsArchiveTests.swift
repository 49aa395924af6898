import Foundation
import Testing

@testable import DockerEngine

@Suite("Events and archives against the real engine")
struct EventsArchiveTests {
    @Test func eventsStreamSeesAContainerStart() async throws {
        let docker = try Fixture.client()
        let marker = "events-\(UInt32.random(in: 0...UInt32.max))"
        var config = Fixture.config(["true"])
        config.labels?["sandcastle.marker"] = marker
        let events = try await docker.events(filters: ["type": ["container"], "label": ["sandcastle.marker=\(marker)"]])
        try await Fixture.withContainer(docker, config) { id in
            try await docker.startContainer(id: id)
            var actions: [String] = []
            let watcher = Task {
                var seen: [String] = []
                for try await event in events {
                    #expect(event.actor.id == id)
                    #expect(event.actor.attributes?["sandcastle.marker"] == marker)
                    seen.append(event.action)
                    if event.action == "die" { break }
                }
                return seen
            }
            let timeout = Task {
                try await Task.sleep(for: .seconds(20))
                watcher.cancel()
            }
            actions = try await watcher.value
            timeout.cancel()
            #expect(actions.starts(with: ["create", "start"]))
            #expect(actions.contains("die"))
        }
    }

    @Test func replayWithUntilEnds() async throws {
        let docker = try Fixture.client()
        let now = Date()
        var count = 0
        for try await _ in try await docker.events(since: now.addingTimeInterval(-5), until: now, filters: ["type": ["container"]]) {
            count += 1
        }
        #expect(count >= 0)
    }

    @Test func archiveUploadAndDownloadRoundTrip() async throws {
        let docker = try Fixture.client()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-archive-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let big = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        try await Fixture.withContainer(docker, Fixture.config(["true"])) { id in
            // From bytes.
            let small = TarWriter()
            try small.addFile("note.txt", contents: Array("round trip\n".utf8), mode: 0o640)
            try await docker.putArchive(id: id, path: "/tmp", tarBytes: try small.finish())
            // From a file, streamed.
            let uploadPath = "\(dir)/upload.tar"
            let writer = try TarWriter(path: uploadPath)
            try writer.addDirectory("data")
            try writer.addFile("data/big.bin", contents: big)
            try writer.finish()
            try await docker.putArchive(id: id, path: "/tmp", tarFile: uploadPath)

            let stat = try await docker.archiveStat(id: id, path: "/tmp/note.txt")
            #expect(stat.size == 11)
            #expect(stat.permissions == 0o640)
            #expect(!stat.isDirectory)

            let archive = try await docker.getArchive(id: id, path: "/tmp/data")
            #expect(archive.stat?.isDirectory == true)
            var tarBytes: [UInt8] = []
            for try await chunk in archive.body { tarBytes += chunk }
            let downloaded = "\(dir)/download.tar"
            try Data(tarBytes).write(to: URL(fileURLWithPath: downloaded))
            let out = "\(dir)/out"
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let (status, output) = try await TarWriterTests.run(["-xf", downloaded, "-C", out])
            #expect(status == 0, "\(output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(out)/data/big.bin")) == Data(big))

            let toFile = "\(dir)/note.tar"
            let noteStat = try await docker.getArchive(id: id, path: "/tmp/note.txt", to: toFile)
            #expect(noteStat?.name == "note.txt")
            let (listStatus, listing) = try await TarWriterTests.run(["-tvf", toFile])
            #expect(listStatus == 0)
            #expect(listing.contains("note.txt"))

            let missing = await #expect(throws: DockerError.self) { _ = try await docker.getArchive(id: id, path: "/nope") }
            #expect(missing?.code == .notFound)
            let missingStat = await #expect(throws: DockerError.self) { _ = try await docker.archiveStat(id: id, path: "/nope") }
            #expect(missingStat?.code == .notFound)
        }
    }
}
