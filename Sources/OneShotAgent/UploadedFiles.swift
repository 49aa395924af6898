/// Text files a one-shot agent gets in its workspace, their paths normalised and confined to it.
///
/// Sandstorm's rules and messages (`QueryRequest.validate_file_paths`): at most 20 files and
/// 10,000,000 UTF-8 bytes together; absolute paths (`/x`, `\x`, `C:\x`, `\\server\share`) are
/// "Absolute paths are not allowed"; a path that is empty, `.`, or climbs out with `..` is "Path
/// traversal not allowed". Beyond Sandstorm, a backslash counts as a separator (so `a\..\..\x`
/// cannot hide a climb), control characters are refused, and two paths naming one file are an
/// error rather than one silently replacing the other.
public struct UploadedFiles: Sendable, Hashable {
    /// One file: its path relative to the workspace (normalised: no `.`, `..` or empty part) and its text.
    public struct File: Sendable, Hashable {
        public var path: String
        public var contents: String
    }

    /// In the order of their paths.
    public let files: [File]

    public static let maxFiles = 20
    public static let maxTotalBytes = 10_000_000
    /// Linux's own limits, so a write never fails on a name the checks let through.
    static let maxPathBytes = 4096
    static let maxNameBytes = 255

    public static let none = UploadedFiles(checked: [])

    private init(checked files: [File]) {
        self.files = files
    }

    /// Checks and normalises `files` (path → text).
    ///
    /// - Throws: ``OneShotError`` `tooManyFiles`, `filesTooLarge`, `absolutePath` or
    ///   `pathTraversal`, with Sandstorm's messages.
    public init(_ files: [String: String]) throws {
        if files.count > Self.maxFiles {
            throw OneShotError(.tooManyFiles, "Too many files: \(files.count) (max \(Self.maxFiles))")
        }
        let total = files.values.reduce(0) { $0 + $1.utf8.count }
        if total > Self.maxTotalBytes {
            throw OneShotError(.filesTooLarge, "Total file size \(Self.grouped(total)) bytes exceeds 10MB limit")
        }
        var normalised: [String: String] = [:]
        var checked: [File] = []
        for (path, contents) in files.sorted(by: { $0.key < $1.key }) {
            let relative = try Self.normalise(path)
            if let earlier = normalised[relative] {
                throw OneShotError(
                    .pathTraversal, "Duplicate path: \(earlier.debugDescription) and \(path.debugDescription) both name \(relative)")
            }
            normalised[relative] = path
            checked.append(File(path: relative, contents: contents))
        }
        self.files = checked
    }

    /// The files' paths in the sandbox, under `workspace`.
    public func absolutePaths(in workspace: String) -> [String] {
        files.map { Self.join(workspace, $0.path) }
    }

    public var totalBytes: Int { files.reduce(0) { $0 + $1.contents.utf8.count } }

    static func join(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }

    /// `path` relative to the workspace with `.`, empty parts and inner `..` resolved, or the
    /// reason it cannot be one.
    static func normalise(_ path: String) throws -> String {
        if path.hasPrefix("/") || path.hasPrefix("\\") || Self.hasDrive(path) {
            throw OneShotError(.absolutePath, "Absolute paths are not allowed: \(path)")
        }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw OneShotError(.pathTraversal, "Path traversal not allowed: \(path.debugDescription) contains control characters")
        }
        var parts: [Substring] = []
        for part in path.split(whereSeparator: { $0 == "/" || $0 == "\\" }) {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { throw OneShotError(.pathTraversal, "Path traversal not allowed: \(path)") }
                parts.removeLast()
            default:
                if part.utf8.count > maxNameBytes {
                    throw OneShotError(.pathTraversal, "Path traversal not allowed: a part of \(path.prefix(80))… is over \(maxNameBytes) bytes")
                }
                parts.append(part)
            }
        }
        let relative = parts.joined(separator: "/")
        if relative.isEmpty { throw OneShotError(.pathTraversal, "Path traversal not allowed: \(path)") }
        if relative.utf8.count > maxPathBytes {
            throw OneShotError(.pathTraversal, "Path traversal not allowed: \(path.prefix(80))… is over \(maxPathBytes) bytes")
        }
        return relative
    }

    /// `C:\…` or `C:/…`, which Windows reads as absolute.
    private static func hasDrive(_ path: String) -> Bool {
        let scalars = Array(path.unicodeScalars.prefix(3))
        guard scalars.count == 3, scalars[1] == ":", scalars[2] == "/" || scalars[2] == "\\" else { return false }
        return (scalars[0].value >= 0x41 && scalars[0].value <= 0x5A) || (scalars[0].value >= 0x61 && scalars[0].value <= 0x7A)
    }

    /// `10,000,001`, as Python's `{:,}` writes it (Sandstorm's message).
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }
}
