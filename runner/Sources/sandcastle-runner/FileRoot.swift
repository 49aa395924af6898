import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one directory a confined runner serves files from (``RunnerWire/filesBeneathVariable``):
/// what a helper browsing a shared workspace runs with, so that a symlink a sandbox left in the
/// workspace cannot show the helper's own files.
///
/// A path is first made absolute and tidied as everywhere in the runner, must then lie inside the
/// root as text, and is finally opened by the kernel from the root's fd with
/// openat2(RESOLVE_BENEATH): an absolute symlink, or a relative one or `..` that climbs out, fails
/// at whatever component it is (the last one included), and no rename racing the lookup can move
/// the result outside. Symlinks that stay inside are followed. Only stat, list and read are served.
struct FileRoot {
    let path: String
    /// The root, opened O_PATH: every lookup starts here.
    let fd: Int32

    /// Opens the root; the runner refuses to start without it rather than serve unconfined.
    static func open(_ path: String) -> Result<FileRoot, RunnerFailure> {
        guard path.hasPrefix("/") else {
            return .failure(.invalid("\(RunnerWire.filesBeneathVariable) must be an absolute directory, not '\(path)'"))
        }
        let tidy = absolutePath(path, relativeTo: "/")
        let fd = crs_open(tidy, crs_o_path | O_DIRECTORY | O_CLOEXEC, 0)
        guard fd >= 0 else { return .failure(.system(errno, "open", tidy)) }
        let root = FileRoot(path: tidy, fd: fd)
        // Fail closed where the kernel (or a seccomp profile) lacks openat2: no weaker fallback.
        let probe = crs_open_beneath(fd, "", crs_o_path | O_DIRECTORY)
        guard probe >= 0 else {
            let failure = RunnerFailure.system(errno, "openat2", tidy)
            close(fd)
            return .failure(failure)
        }
        close(probe)
        return .success(root)
    }

    /// `resolved` (absolute and tidy) below the root, "" for the root itself; nil outside it.
    /// Compared as bytes, as the kernel does (String comparison would apply Unicode equivalence).
    func relative(_ resolved: String) -> String? {
        if resolved.utf8.elementsEqual(path.utf8) { return "" }
        let prefix = path == "/" ? "/" : path + "/"
        guard resolved.utf8.starts(with: prefix.utf8) else { return nil }
        return String(decoding: resolved.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    /// Opens `resolved` with `flags` (read-only ones), following symlinks only while they stay inside.
    func open(_ resolved: String, flags: Int32, doing operation: String) throws(RunnerFailure) -> Int32 {
        guard let relative = relative(resolved) else { throw outside(resolved, doing: operation) }
        let fd = crs_open_beneath(self.fd, relative, flags)
        guard fd >= 0 else {
            if errno == EXDEV { throw outside(resolved, doing: operation) }
            throw .system(errno, operation, resolved)
        }
        return fd
    }

    /// Anything that would change files: a confined runner only reads.
    func refuseChange(_ operation: String, _ path: String) -> RunnerFailure {
        RunnerFailure(code: .permissionDenied, message: "\(operation) \(path): this runner only reads files beneath \(self.path)")
    }

    private func outside(_ path: String, doing operation: String) -> RunnerFailure {
        RunnerFailure(
            code: .permissionDenied, errno: EXDEV,
            message: "\(operation) \(path): the path leads outside \(self.path) (a symlink or '..' points out of it)")
    }
}
