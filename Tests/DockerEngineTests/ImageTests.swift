import Foundation
import Synchronization
import Testing

@testable import DockerEngine

@Suite("Images against the real engine")
struct ImageTests {
    @Test func inspectAndMissingImage() async throws {
        let docker = try Fixture.client()
        let image = try await docker.inspectImage(Fixture.image)
        #expect(image.id.hasPrefix("sha256:"))
        #expect(image.repoTags?.contains(Fixture.image) == true)
        let error = await #expect(throws: DockerError.self) { _ = try await docker.inspectImage("sandcastle/missing:none") }
        #expect(error?.code == .notFound)
        // Engines word this differently ("no such image: x: No such image: x" on 20.10); the text is theirs.
        #expect(error?.message.contains("No such image: sandcastle/missing:none") == true)
        let removeError = await #expect(throws: DockerError.self) { try await docker.removeImage("sandcastle/missing:none") }
        #expect(removeError?.code == .notFound)
    }

    @Test func buildFromATarContextAndRemove() async throws {
        let docker = try Fixture.client()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-build-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let marker = UUID().uuidString
        let contextPath = "\(dir)/context.tar"
        let writer = try TarWriter(path: contextPath)
        try writer.addFile(
            "Dockerfile",
            contents: Array(
                """
                FROM \(Fixture.image)
                LABEL sandcastle.test.dockerfile=yes
                ARG GREETING
                COPY payload/hello.txt /opt/hello.txt
                RUN test "$GREETING" = "hi" && grep -q \(marker) /opt/hello.txt
                """.utf8))
        try writer.addFile("payload/hello.txt", contents: Array("hello \(marker)\n".utf8))
        try writer.finish()

        let tag = "sandcastle/test-build:\(marker.prefix(8).lowercased())"
        let lines = Mutex<[String]>([])
        let result = try await Fixture.withCleanup(
            {
                try await docker.buildImage(
                    contextTarFile: contextPath, tags: [tag], buildArgs: ["GREETING": "hi"],
                    labels: Fixture.managed, output: { text in lines.withLock { $0.append(text) } })
            },
            cleanup: {
                _ = try? await docker.removeImage(tag, force: true)
            })
        #expect(result.imageID?.hasPrefix("sha256:") == true)
        #expect(result.log.contains { $0.contains("COPY payload/hello.txt /opt/hello.txt") }, "\(result.log)")
        #expect(!lines.withLock { $0 }.isEmpty)
        let missing = await #expect(throws: DockerError.self) { _ = try await docker.inspectImage(tag) }
        #expect(missing?.code == .notFound)
    }

    @Test func buildWithLabelsThenInspect() async throws {
        let docker = try Fixture.client()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-build-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let contextPath = "\(dir)/context.tar"
        let writer = try TarWriter(path: contextPath)
        try writer.addFile("Dockerfile", contents: Array("FROM \(Fixture.image)\nLABEL stage=one\nCOPY f /f\n".utf8))
        try writer.addFile("f", contents: Array("x".utf8))
        try writer.finish()
        let tag = "sandcastle/test-build-labels:\(UInt32.random(in: 0...UInt32.max))"
        try await Fixture.withCleanup(
            {
                _ = try await docker.buildImage(contextTarFile: contextPath, tags: [tag], labels: Fixture.managed)
                let image = try await docker.inspectImage(tag)
                #expect(image.config?.labels?["stage"] == "one")
                #expect(image.config?.labels?["sandcastle.managed"] == "true")
                let listed = try await docker.listImages(filters: ["reference": [tag]])
                #expect(listed.count == 1)
            },
            cleanup: {
                _ = try? await docker.removeImage(tag, force: true)
            })
    }

    @Test func failingBuildThrowsWithTheLogTail() async throws {
        let docker = try Fixture.client()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-build-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let contextPath = "\(dir)/context.tar"
        let writer = try TarWriter(path: contextPath)
        try writer.addFile("Dockerfile", contents: Array("FROM \(Fixture.image)\nRUN echo about-to-fail && exit 7\n".utf8))
        try writer.finish()
        let tag = "sandcastle/test-build-fail:\(UInt32.random(in: 0...UInt32.max))"
        let error = await #expect(throws: DockerError.self) {
            _ = try await docker.buildImage(contextTarFile: contextPath, tags: [tag], labels: Fixture.managed)
        }
        _ = try? await docker.removeImage(tag, force: true)
        #expect(error?.code == .buildFailed)
        #expect(error?.message.contains("returned a non-zero code: 7") == true)
        #expect(error?.message.contains("about-to-fail") == true)
    }

    @Test func importSaveAndLoad() async throws {
        let docker = try Fixture.client()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rootfs = "\(dir)/rootfs.tar"
        let writer = try TarWriter(path: rootfs)
        try writer.addDirectory("etc")
        try writer.addFile("etc/sandcastle-release", contents: Array("test\n".utf8))
        try writer.finish()
        let repository = "sandcastle/test-import"
        let tag = "t\(UInt32.random(in: 0...UInt32.max))"
        let reference = "\(repository):\(tag)"
        try await Fixture.withCleanup(
            {
                let id = try await docker.importImage(
                    fromTarFile: rootfs, repository: repository, tag: tag,
                    changes: ["LABEL sandcastle.managed=true", "ENV SANDCASTLE=1", "CMD [\"/bin/true\"]"])
                #expect(id.hasPrefix("sha256:"))
                let image = try await docker.inspectImage(reference)
                #expect(image.id == id)
                #expect(image.config?.labels?["sandcastle.managed"] == "true")
                #expect(image.config?.env?.contains("SANDCASTLE=1") == true)
                #expect(image.config?.cmd == ["/bin/true"])

                let saved = "\(dir)/saved.tar"
                try await docker.saveImage(reference, to: saved)
                try await docker.removeImage(reference, force: true)
                let loaded = try await docker.loadImage(fromTarFile: saved)
                #expect(loaded.contains { $0.contains(reference) })
                #expect(try await docker.inspectImage(reference).id == id)
            },
            cleanup: {
                _ = try? await docker.removeImage(reference, force: true)
            })
    }
}
