import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on the data folder for as long as the server runs.
///
/// Two servers on one data folder share a server id, so each would take the other's
/// containers for its own: re-attaching to them, marking them lost, removing them as orphans.
/// `flock` is released by the kernel when the process dies, so a kill -9 never leaves it stale.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32
    public let path: String

    public init(dataDirectory: String) throws {
        try? FileManager.default.createDirectory(
            atPath: dataDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        path = URL(fileURLWithPath: dataDirectory).appendingPathComponent("serve.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ServerError(.invalidConfiguration, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw ServerError(
                .invalidConfiguration,
                "another sandcastle serve is using the data folder \(dataDirectory) (\(path) is locked); "
                    + "stop it or give this one its own --data-dir")
        }
        descriptor = fd
    }

    deinit {
        close(descriptor)
    }
}
