import Foundation

/// The data folder holds the state database, its key file and the runs' files: only its owner
/// may enter it (0700), whatever the umask, and an existing folder is tightened to that. What is
/// written inside it goes through here too: folders 0700, files 0600 (step outputs and artifacts
/// may hold whatever a step printed, secrets included), so a copied or loosened folder still
/// does not expose them.
public enum DataFolder {
    /// Creates `path` (and its parents) if needed and makes it 0700.
    public static func prepare(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        } catch {
            throw StoreError(.io, "cannot prepare the data folder \(path): \(error.localizedDescription)", cause: error)
        }
    }

    /// Creates a folder under the data folder (and its missing parents), owner-only.
    public static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Writes `data` to `path` owner-only (0600), whole or not at all: a temporary file beside
    /// it is renamed over it, so a crash never leaves a cut file. Its folder is created if missing.
    public static func write(_ data: Data, to path: String) throws {
        try makeDirectory((path as NSString).deletingLastPathComponent)
        let temporary = path + ".partial-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError(.io, "cannot write \(path)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError(.io, "cannot write \(path): \(reason)")
        }
    }

    /// Makes a file someone else wrote under the data folder (with the umask's mode) owner-only.
    public static func restrict(_ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// The file that keeps the data folder's ``SecretBox`` key.
    public static func keyFile(in path: String) -> String {
        (path as NSString).appendingPathComponent("credentials.key")
    }
}
