import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one-shot file requests: stat, list, mkdir, remove, move. Paths are resolved
/// against the runner's working directory; symlinks are reported, never followed. A confined
/// runner (``FileRoot``) resolves them beneath its root and changes nothing.
struct FileOperations {
    let context: RunnerContext

    func stat(_ path: String) -> RunnerMessage {
        let resolved = context.resolve(path)
        do throws(RunnerFailure) {
            guard let root = context.fileRoot else { return .fileInfo(try fileInfo(at: resolved)) }
            return .fileInfo(try confinedInfo(at: resolved, root: root))
        } catch {
            return .failure(error)
        }
    }

    func list(_ path: String) -> RunnerMessage {
        let directory = context.resolve(path)
        let stream: OpaquePointer
        do throws(RunnerFailure) {
            stream = try openDirectory(directory)
        } catch {
            return .failure(error)
        }
        defer { closedir(stream) }
        let fd = dirfd(stream)
        var names: [[UInt8]] = []
        while true {
            guard let name = crs_readdir_name(stream) else {
                if errno != 0 { return .failure(.system(errno, "read directory", directory)) }
                break
            }
            names.append(Array(UnsafeBufferPointer(start: UnsafeRawPointer(name).assumingMemoryBound(to: UInt8.self), count: strlen(name))))
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        var entries: [FileInfo] = []
        entries.reserveCapacity(names.count)
        var encodedSize = 4
        let base = directory == "/" ? "" : directory
        for rawName in names {
            let name = String(decoding: rawName, as: UTF8.self)
            // An entry deleted since readdir is simply left out.
            guard let info = try? entryInfo(directoryFD: fd, name: rawName, displayName: name, path: base + "/" + name) else { continue }
            encodedSize += 4 + info.name.utf8.count + 4 + info.path.utf8.count + 1 + 8 + 4 + 8 + 4 + info.symlinkTarget.utf8.count
            entries.append(info)
        }
        if encodedSize > RunnerWire.maxFrameSize - 64 {
            return .failure(
                RunnerFailure(
                    code: .unsupported,
                    message:
                        "list \(directory): \(entries.count) entries do not fit in one \(RunnerWire.maxFrameSize)-byte frame"))
        }
        return .entries(entries)
    }

    func makeDirectory(_ path: String, parents: Bool, mode: UInt32) -> RunnerMessage {
        let resolved = context.resolve(path)
        if let root = context.fileRoot { return .failure(root.refuseChange("mkdir", resolved)) }
        let permissions = mode == 0 ? 0o755 : mode & 0o7777
        if parents {
            if let failure = makeDirectories(resolved, mode: permissions) { return .failure(failure) }
            return .ok
        }
        if mkdir(resolved, mode_t(permissions)) != 0 { return .failure(.system(errno, "mkdir", resolved)) }
        return .ok
    }

    func remove(_ path: String, recursive: Bool) -> RunnerMessage {
        let resolved = context.resolve(path)
        if let root = context.fileRoot { return .failure(root.refuseChange("remove", resolved)) }
        if resolved == "/" { return .failure(RunnerFailure(code: .permissionDenied, message: "remove /: refusing to remove the root")) }
        var info = crs_file_stat()
        guard crs_fstatat(AT_FDCWD, resolved, 1, &info) == 0 else { return .failure(.system(errno, "remove", resolved)) }
        if info.kind != FileKind.directory.rawValue {
            if unlink(resolved) != 0 { return .failure(.system(errno, "remove", resolved)) }
            return .ok
        }
        if !recursive {
            if rmdir(resolved) != 0 { return .failure(.system(errno, "remove", resolved)) }
            return .ok
        }
        if let failure = removeTree(parentFD: AT_FDCWD, name: resolved, path: resolved) { return .failure(failure) }
        return .ok
    }

    func move(from: String, to: String, overwrite: Bool) -> RunnerMessage {
        let source = context.resolve(from)
        let destination = context.resolve(to)
        if let root = context.fileRoot { return .failure(root.refuseChange("rename", source)) }
        let status = overwrite ? rename(source, destination) : crs_rename_noreplace(source, destination)
        if status == 0 { return .ok }
        let code = errno
        guard code == EXDEV else { return .failure(.system(code, "rename", "\(source) to \(destination)")) }
        // Across file systems (e.g. /tmp to /workspace) rename cannot work: copy a
        // regular file, then remove the source.
        if let failure = copyFile(source, destination, overwrite: overwrite) { return .failure(failure) }
        if unlink(source) != 0 { return .failure(.system(errno, "remove", source)) }
        return .ok
    }

    // MARK: helpers

    func fileInfo(at path: String) throws(RunnerFailure) -> FileInfo {
        try entryInfo(directoryFD: AT_FDCWD, name: Array(path.utf8), displayName: lastPathComponent(path), path: path)
    }

    /// The entry itself (a symlink as a symlink), looked up in its parent opened beneath the root.
    private func confinedInfo(at resolved: String, root: FileRoot) throws(RunnerFailure) -> FileInfo {
        if root.relative(resolved) == "" {
            return try entryInfo(directoryFD: root.fd, name: Array(".".utf8), displayName: lastPathComponent(resolved), path: resolved)
        }
        let parent = try root.open(parentPath(resolved), flags: crs_o_path | O_DIRECTORY, doing: "stat")
        defer { close(parent) }
        let name = lastPathComponent(resolved)
        return try entryInfo(directoryFD: parent, name: Array(name.utf8), displayName: name, path: resolved)
    }

    private func openDirectory(_ directory: String) throws(RunnerFailure) -> OpaquePointer {
        guard let root = context.fileRoot else {
            guard let stream = opendir(directory) else { throw .system(errno, "open", directory) }
            return stream
        }
        let fd = try root.open(directory, flags: O_RDONLY | O_DIRECTORY, doing: "open")
        guard let stream = fdopendir(fd) else {
            let code = errno
            close(fd)
            throw .system(code, "open", directory)
        }
        return stream
    }

    private func entryInfo(directoryFD: Int32, name: [UInt8], displayName: String, path: String) throws(RunnerFailure) -> FileInfo {
        var info = crs_file_stat()
        let cName = name + [0]
        let status = cName.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { crs_fstatat(directoryFD, $0.baseAddress, 1, &info) }
        }
        guard status == 0 else { throw .system(errno, "stat", path) }
        let kind = FileKind(rawValue: info.kind) ?? .other
        var target = ""
        if kind == .symlink {
            target = cName.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { readLink(directoryFD: directoryFD, name: $0.baseAddress) }
            }
        }
        return FileInfo(
            name: displayName, path: path, kind: kind, size: info.size, mode: info.mode,
            modifiedNanoseconds: info.modified_ns, symlinkTarget: target)
    }

    private func readLink(directoryFD: Int32, name: UnsafePointer<CChar>?) -> String {
        guard let name else { return "" }
        var capacity = 4096
        while capacity <= 1 << 20 {
            var buffer = [UInt8](repeating: 0, count: capacity)
            let length = buffer.withUnsafeMutableBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { chars in
                    chars.baseAddress.map { readlinkat(directoryFD, name, $0, capacity) } ?? -1
                }
            }
            if length < 0 { return "" }
            if length < capacity { return String(decoding: buffer[0..<length], as: UTF8.self) }
            capacity *= 4
        }
        return ""
    }

    /// mkdir -p: every missing component is created; an existing directory is fine.
    func makeDirectories(_ path: String, mode: UInt32) -> RunnerFailure? {
        var current = ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, mode_t(mode)) == 0 { continue }
            let code = errno
            if code == EEXIST {
                var info = crs_file_stat()
                // stat (not lstat): a symlink to a directory is a fine parent.
                if crs_fstatat(AT_FDCWD, current, 0, &info) == 0, info.kind == FileKind.directory.rawValue { continue }
                return .system(ENOTDIR, "mkdir", current)
            }
            // Read-only or inaccessible ancestors (e.g. "/" itself) may still exist.
            if code == EACCES || code == EPERM || code == EROFS {
                var info = crs_file_stat()
                if crs_fstatat(AT_FDCWD, current, 0, &info) == 0, info.kind == FileKind.directory.rawValue { continue }
            }
            return .system(code, "mkdir", current)
        }
        return nil
    }

    /// Removes a directory tree through directory fds opened with O_NOFOLLOW, so a
    /// symlink inside the tree is removed itself and never followed.
    private func removeTree(parentFD: Int32, name: String, path: String) -> RunnerFailure? {
        let fd = crs_openat(parentFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
        guard fd >= 0 else { return .system(errno, "open", path) }
        guard let stream = fdopendir(fd) else {
            let code = errno
            close(fd)
            return .system(code, "open", path)
        }
        var names: [String] = []
        while let entry = crs_readdir_name(stream) { names.append(String(cString: entry)) }
        if errno != 0 {
            let code = errno
            closedir(stream)
            return .system(code, "read directory", path)
        }
        var failure: RunnerFailure?
        for child in names {
            let childPath = path + "/" + child
            var info = crs_file_stat()
            guard crs_fstatat(fd, child, 1, &info) == 0 else {
                if errno == ENOENT { continue }
                failure = .system(errno, "stat", childPath)
                break
            }
            if info.kind == FileKind.directory.rawValue {
                if let nested = removeTree(parentFD: fd, name: child, path: childPath) {
                    failure = nested
                    break
                }
            } else if unlinkat(fd, child, 0) != 0 && errno != ENOENT {
                failure = .system(errno, "remove", childPath)
                break
            }
        }
        closedir(stream)
        if let failure { return failure }
        if unlinkat(parentFD, name, AT_REMOVEDIR) != 0 { return .system(errno, "remove", path) }
        return nil
    }

    private func copyFile(_ source: String, _ destination: String, overwrite: Bool) -> RunnerFailure? {
        let input = crs_open(source, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, 0)
        guard input >= 0 else {
            if errno == ELOOP { return RunnerFailure(code: .unsupported, errno: EXDEV, message: "move \(source): symlinks cannot move across file systems") }
            return .system(errno, "open", source)
        }
        defer { close(input) }
        var info = crs_file_stat()
        guard crs_fstat(input, &info) == 0 else { return .system(errno, "stat", source) }
        guard info.kind == FileKind.file.rawValue else {
            return RunnerFailure(
                code: .unsupported, errno: EXDEV,
                message: "move \(source) to \(destination): only regular files can move across file systems")
        }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL)
        let output = crs_open(destination, flags, info.mode)
        guard output >= 0 else { return .system(errno, "open", destination) }
        defer { close(output) }
        let buffer = context.readBuffer
        while true {
            let got = retryingInterrupts { read(input, buffer.baseAddress, buffer.count) }
            if got < 0 { return .system(errno, "read", source) }
            if got == 0 { break }
            if let code = writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[0..<got])) {
                return .system(code, "write", destination)
            }
        }
        _ = fchmod(output, mode_t(info.mode))
        return nil
    }
}

/// A `writeFile` in progress: `.data` frames are written as they arrive, so memory
/// stays at one frame whatever the file size.
final class Upload {
    let id: UInt32
    let path: String
    private var fd: Int32

    private init(id: UInt32, path: String, fd: Int32) {
        self.id = id
        self.path = path
        self.fd = fd
    }

    static func begin(id: UInt32, _ request: WriteFileRequest, context: RunnerContext) -> Result<Upload, RunnerFailure> {
        let path = context.resolve(request.path)
        if let root = context.fileRoot { return .failure(root.refuseChange("write", path)) }
        let mode = request.mode == 0 ? 0o644 : request.mode & 0o7777
        if request.createParents, let failure = FileOperations(context: context).makeDirectories(parentPath(path), mode: 0o755) {
            return .failure(failure)
        }
        // Create exclusively first: a new file gets exactly `mode` (umask undone by
        // fchmod); an existing one keeps its permissions and is truncated or appended.
        // O_NONBLOCK keeps a FIFO at `path` from stalling the reactor in open (it fails
        // with ENXIO when nobody reads it); regular files ignore the flag.
        let append = request.append ? O_APPEND : 0
        var fd = crs_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC | append, mode)
        if fd >= 0 {
            _ = fchmod(fd, mode_t(mode))
        } else if errno == EEXIST {
            fd = crs_open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | (request.append ? O_APPEND : O_TRUNC), 0)
        }
        guard fd >= 0 else { return .failure(.system(errno, "open", path)) }
        return .success(Upload(id: id, path: path, fd: fd))
    }

    /// Nil on success; the failure ends the upload.
    func write(_ bytes: [UInt8]) -> RunnerFailure? {
        guard fd >= 0 else { return nil }
        if let code = bytes.withUnsafeBytes({ writeAll(fd, $0) }) {
            closeIfOpen(&fd)
            return .system(code, "write", path)
        }
        return nil
    }

    func finish() -> RunnerMessage {
        defer { closeIfOpen(&fd) }
        var info = crs_file_stat()
        guard crs_fstat(fd, &info) == 0 else { return .failure(.system(errno, "stat", path)) }
        if close(fd) != 0 {
            let code = errno
            fd = -1
            return .failure(.system(code, "close", path))
        }
        fd = -1
        return .fileInfo(
            FileInfo(
                name: lastPathComponent(path), path: path, kind: FileKind(rawValue: info.kind) ?? .other,
                size: info.size, mode: info.mode, modifiedNanoseconds: info.modified_ns))
    }

    func abort() { closeIfOpen(&fd) }
}

/// A `readFile` in progress: the next chunk is read only while the outbound queue is
/// short, so a huge file never sits in memory and a slow host throttles the reads.
final class Download {
    let id: UInt32
    let path: String
    private var fd: Int32
    private var position: UInt64
    private var remaining: UInt64?

    private init(id: UInt32, path: String, fd: Int32, position: UInt64, remaining: UInt64?) {
        self.id = id
        self.path = path
        self.fd = fd
        self.position = position
        self.remaining = remaining
    }

    static func begin(id: UInt32, _ request: ReadFileRequest, context: RunnerContext) -> Result<Download, RunnerFailure> {
        let path = context.resolve(request.path)
        // O_NONBLOCK: opening a FIFO would otherwise wait for a writer and stall the reactor.
        let fd: Int32
        if let root = context.fileRoot {
            do throws(RunnerFailure) {
                fd = try root.open(path, flags: O_RDONLY | O_NONBLOCK, doing: "open")
            } catch {
                return .failure(error)
            }
        } else {
            fd = crs_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0)
            guard fd >= 0 else { return .failure(.system(errno, "open", path)) }
        }
        var info = crs_file_stat()
        guard crs_fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            return .failure(.system(code, "stat", path))
        }
        if info.kind == FileKind.directory.rawValue {
            close(fd)
            return .failure(.system(EISDIR, "read", path))
        }
        if info.kind != FileKind.file.rawValue {
            close(fd)
            return .failure(RunnerFailure(code: .unsupported, message: "read \(path): not a regular file"))
        }
        context.send(
            id,
            .fileInfo(
                FileInfo(
                    name: lastPathComponent(path), path: path, kind: FileKind(rawValue: info.kind) ?? .other,
                    size: info.size, mode: info.mode, modifiedNanoseconds: info.modified_ns)))
        return .success(
            Download(
                id: id, path: path, fd: fd, position: request.offset,
                remaining: request.length > 0 ? request.length : nil))
    }

    /// Sends one more chunk. Returns false once the download is over (ended or failed).
    func pump(context: RunnerContext) -> Bool {
        guard fd >= 0 else { return false }
        var want = context.readBuffer.count
        if let remaining { want = Int(min(UInt64(want), remaining)) }
        if want == 0 {
            end(context)
            return false
        }
        let got = retryingInterrupts { pread(fd, context.readBuffer.baseAddress, want, off_t(position)) }
        if got < 0 {
            let code = errno
            closeIfOpen(&fd)
            context.send(id, .failure(.system(code, "read", path)))
            return false
        }
        if got == 0 {
            end(context)
            return false
        }
        position += UInt64(got)
        if let remaining { self.remaining = remaining - UInt64(got) }
        context.send(id, .data(Array(UnsafeRawBufferPointer(rebasing: context.readBuffer[0..<got]))))
        return true
    }

    private func end(_ context: RunnerContext) {
        closeIfOpen(&fd)
        context.send(id, .endOfData)
    }

    func abort() { closeIfOpen(&fd) }
}
