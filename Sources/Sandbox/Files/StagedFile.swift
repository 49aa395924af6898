/// A file written under a temporary name and made visible under its own by one rename, so its
/// path shows either what was there before or the whole new content, never a part of it.
///
/// ``SandboxInstance/stageFile(_:contents:stagingDirectory:)`` writes it;
/// ``commit(in:)`` renames it into place, ``discard(in:)`` removes it. A write that cannot be
/// staged (an append, or a path that is a symlink or a special file, written through as before)
/// is written in place: committing it does nothing and a failure leaves what arrived.
public struct StagedFile: Sendable {
    /// Where the file belongs.
    public let path: String
    /// Where its content is until it is committed; nil when it was written in place.
    public let temporaryPath: String?
    /// The written file, under its temporary name.
    let written: FileInfo
    /// Whether the temporary file sits in the target's own folder (the rename is then atomic).
    let besideTarget: Bool
    let createParents: Bool

    /// The prefix of staged files' names (hidden). One left behind means a server died mid-upload.
    public static let temporaryPrefix = ".sandcastle-upload-"

    /// Renames the staged file over ``path`` and returns the file as it is there now. On failure
    /// the staged file is removed.
    public func commit(in sandbox: some SandboxInstance) async throws -> FileInfo {
        guard let temporaryPath else { return written }
        do {
            if !besideTarget, createParents, let parent = Self.parent(of: path) {
                try await sandbox.makeDirectory(path: parent, parents: true)
            }
            try await sandbox.move(from: temporaryPath, to: path, overwrite: true)
        } catch {
            await discard(in: sandbox)
            throw error
        }
        guard besideTarget, let folder = Self.parent(of: written.path) else { return try await sandbox.stat(path: path) }
        var info = written
        info.name = Self.name(of: path)
        info.path = (folder == "/" ? "" : folder) + "/" + info.name
        return info
    }

    /// The same staged content bound for another path (content that arrived before its
    /// target was named).
    public func retargeted(to path: String) -> StagedFile {
        StagedFile(path: path, temporaryPath: temporaryPath, written: written, besideTarget: false, createParents: createParents)
    }

    /// Removes the staged file, best effort: also when the request that wrote it was cancelled.
    public func discard(in sandbox: some SandboxInstance) async {
        guard let temporaryPath else { return }
        // Unstructured, so a cancelled caller (a client that went away) still gets it removed.
        await Task { try? await sandbox.remove(path: temporaryPath, recursive: false) }.value
    }

    /// Whether `path` lies on `/proc` or `/sys` (an absolute path, `.` and `..` components resolved by text).
    static func isKernelPath(_ path: String) -> Bool {
        guard path.hasPrefix("/") else { return false }
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            if component == "." { continue }
            if component == ".." {
                _ = components.popLast()
            } else {
                components.append(component)
            }
        }
        return components.first == "proc" || components.first == "sys"
    }

    static func name(of path: String) -> String {
        String(path.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
    }

    /// The folder of `path`: nil for a bare name (the sandbox's working directory), `/` at the root.
    static func parent(of path: String) -> String? {
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }
}

extension SandboxInstance {
    /// Writes `contents` for `request.path` under a temporary name (see ``StagedFile``), in the
    /// target's folder or, when given, in `stagingDirectory`: for a target not known yet, named
    /// later with ``StagedFile/retargeted(to:)`` (best on the target's file system, where the
    /// rename is atomic; across file systems the runner copies).
    ///
    /// An existing regular file's permissions are kept, as an in-place write keeps them. If the
    /// write fails (the sandbox, or `contents`: a client gone, a body over its limit), the
    /// temporary file is removed and the error thrown.
    public func stageFile<Chunks: AsyncSequence & Sendable>(
        _ request: FileWrite, contents: Chunks, stagingDirectory: String? = nil
    ) async throws -> StagedFile where Chunks.Element == [UInt8] {
        let name = StagedFile.name(of: request.path)
        let existing = stagingDirectory == nil ? try? await stat(path: request.path) : nil
        // The kernel's own file systems (`/proc`, `/sys`) hold no files one could stage beside:
        // their entries look regular but a write is a request to the kernel, made in place.
        let kernelFile = StagedFile.isKernelPath(request.path)
        let inPlace = request.append || kernelFile || name.isEmpty || name == "." || name == ".." || request.path.hasSuffix("/")
        if stagingDirectory == nil, inPlace || (existing.map { $0.kind != .file } ?? false) {
            let written = try await writeFile(request, contents: contents)
            return StagedFile(path: request.path, temporaryPath: nil, written: written, besideTarget: true, createParents: request.createParents)
        }
        let folder = stagingDirectory ?? StagedFile.parent(of: request.path)
        let temporaryName = StagedFile.temporaryPrefix + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let temporaryPath = folder.map { ($0 == "/" ? "" : $0) + "/" + temporaryName } ?? temporaryName
        let staged = FileWrite(
            path: temporaryPath, mode: existing?.mode ?? request.mode, append: false,
            createParents: stagingDirectory == nil ? request.createParents : true)
        let file = StagedFile(
            path: request.path, temporaryPath: temporaryPath,
            written: FileInfo(name: temporaryName, path: temporaryPath, kind: .file, size: 0, mode: staged.mode, modifiedNanoseconds: 0),
            besideTarget: stagingDirectory == nil, createParents: request.createParents)
        do {
            let written = try await writeFile(staged, contents: contents)
            return StagedFile(
                path: file.path, temporaryPath: temporaryPath, written: written, besideTarget: file.besideTarget,
                createParents: file.createParents)
        } catch {
            await file.discard(in: self)
            throw error
        }
    }

    /// Writes a whole file so that `request.path` never shows a part of it: staged, then renamed
    /// into place. See ``StagedFile`` for the writes that go in place instead.
    public func replaceFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] {
        try await stageFile(request, contents: contents).commit(in: self)
    }
}
