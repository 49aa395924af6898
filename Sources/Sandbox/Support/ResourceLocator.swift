import Foundation

/// Finds the project's resource folders (`seccomp/`, `images/`) at run time.
///
/// Profiles and Dockerfiles are files reviewers read and edit, so they stay plain
/// files in the repository rather than strings compiled into the binary. Lookup order:
/// `$SANDCASTLE_HOME`, then the folders above the executable and above the current
/// directory (a checkout), then the install prefixes.
public struct ResourceLocator: Sendable {
    public var searchRoots: [String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        var roots: [String] = []
        if let home = environment["SANDCASTLE_HOME"], !home.isEmpty { roots.append(home) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        roots.append(contentsOf: Self.ancestors(of: executable.deletingLastPathComponent().path))
        roots.append(contentsOf: Self.ancestors(of: FileManager.default.currentDirectoryPath))
        roots.append("/usr/local/share/sandcastle")
        roots.append("/usr/share/sandcastle")
        var seen = Set<String>()
        searchRoots = roots.filter { seen.insert($0).inserted }
    }

    public init(roots: [String]) { searchRoots = roots }

    /// The first `root/relativePath` that exists.
    public func locate(_ relativePath: String) -> String? {
        for root in searchRoots {
            let candidate = (root as NSString).appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Like ``locate(_:)`` but throws an error that says where it looked.
    public func require(_ relativePath: String, what: String) throws -> String {
        if let found = locate(relativePath) { return found }
        throw SandboxError(
            .invalidArgument,
            "cannot find \(what) (\(relativePath)); looked in \(searchRoots.joined(separator: ", ")). "
                + "Run from a Sandcastle checkout or set SANDCASTLE_HOME to it.")
    }

    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var current = URL(fileURLWithPath: path).standardizedFileURL
        for _ in 0..<8 {
            result.append(current.path)
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        return result
    }
}
