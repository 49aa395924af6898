import Foundation
import Sandbox

/// A catalog over this checkout's `seccomp/` folder with a private custom-profiles folder.
final class AuditCatalogFixture {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let seccompDirectory = repository + "/seccomp"

    let customDirectory: String
    let catalog: ProfileCatalog

    init() throws {
        customDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-profiles-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: customDirectory, withIntermediateDirectories: true)
        catalog = ProfileCatalog(seccompDirectory: Self.seccompDirectory, customDirectory: customDirectory)
    }

    deinit { try? FileManager.default.removeItem(atPath: customDirectory) }

    /// Writes a file into the custom folder and returns its path.
    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
        let path = (customDirectory as NSString).appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A complete custom profile using the shipped default filter, with overrides spliced in.
    static func profileText(name: String, seccomp: String = "default.json", extra: String = "") -> String {
        """
        {
          "name": "\(name)",
          "description": "test profile",
          "seccomp": "\(seccomp)",
          "capabilities": { "add": [] },
          "user": "1000:1000",
          "readOnlyRootFilesystem": true,
          "noNewPrivileges": true,
          "tmpfs": [ { "path": "/tmp", "size": "32MiB", "options": ["nosuid", "nodev"] } ],
          "limits": { "pids": 64, "memory": "256MiB", "cpus": 0.25 },
          "network": "none"\(extra)
        }
        """
    }
}
