import Foundation
import Store
import TestSupport
import Testing

/// Everything a run leaves in its data folder is its owner's alone, whatever the umask: a
/// detached run's log, a large output kept as a file, an artifact, the workspace snapshot.
@Suite(.timeLimit(.minutes(3)))
struct DataFolderModeTests {
    @Test func everyFolderIsOwnerOnlyAndEveryFileTooAfterARun() async throws {
        let directory = try CLIRunTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("modes.yaml")
        try """
        name: modes
        defaults: {image: base, timeout: 1m}
        steps:
          - id: big
            run: |
              echo secret > kept.txt
              echo artifact > "$SANDCASTLE_OUTPUTS/report.txt"
              head -c 200000 /dev/zero | tr '\\0' x
        """.write(to: file, atomically: true, encoding: .utf8)
        let data = directory.appendingPathComponent("data")
        // What a default shell gives: without care, files come out 0644 and folders 0755.
        let previous = umask(0o022)
        defer { umask(previous) }
        let detached = try await runChild(try CLIRunTests.executable().path, ["run", "--detach", file.path, "--data-dir", data.path])
        #expect(detached.status == 0, "\(detached.text)")
        let database = data.appendingPathComponent("sandcastle.sqlite").path
        let repository = try SQLiteRunRepository(path: database)
        let run = try await CLIRunTests.eventually("the run to finish", within: .seconds(90)) {
            try repository.listRuns(RunQuery()).first.flatMap { $0.status.isTerminal ? $0 : nil }
        }
        #expect(run.status == .completed, "\(run.error ?? "")")
        let step = try #require(try repository.run(id: run.id)?.steps.first)
        let output = try #require(step.outputPath, "the output went to a file")

        var files: [String: Int] = [:]
        var folders: [String: Int] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: data.path))
        while let relative = enumerator.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent(relative).path)
            let mode = (attributes[.posixPermissions] as? Int) ?? -1
            if attributes[.type] as? FileAttributeType == .typeDirectory { folders[relative] = mode } else { files[relative] = mode }
        }
        let paths = Set(files.keys)
        #expect(paths.contains { $0.hasSuffix("run.log") }, "\(paths)")
        #expect(paths.contains { $0.hasSuffix("report.txt") }, "\(paths)")
        #expect(paths.contains { output.hasSuffix($0) }, "\(paths)")
        #expect(paths.contains { $0.contains("workspace") }, "the workspace snapshot: \(paths)")
        #expect(files.filter { $0.value != 0o600 }.isEmpty, "files not 0600: \(files.filter { $0.value != 0o600 })")
        #expect(folders.filter { $0.value != 0o700 }.isEmpty, "folders not 0700: \(folders.filter { $0.value != 0o700 })")
        #expect(try FileManager.default.attributesOfItem(atPath: data.path)[.posixPermissions] as? Int == 0o700)
    }
}
