import Foundation

/// The data folder holds the state database, its key file and the runs' files: only its owner
/// may enter it (0700), whatever the umask, and an existing folder is tightened to that.
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

    /// The file that keeps the data folder's ``SecretBox`` key.
    public static func keyFile(in path: String) -> String {
        (path as NSString).appendingPathComponent("credentials.key")
    }
}
