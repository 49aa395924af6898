import JSONValues
import ModelProviders
import Sandbox

/// `Glob {pattern, path?}`: files whose path matches a glob, newest first, found inside the sandbox.
///
/// With ripgrep in the sandbox (the `agent` image) it is `rg --files --glob PATTERN`; without it (`base`, `python`, `node`) `find` lists every file with its mtime and the
/// host applies the same gitignore-style glob rules (``GlobPattern``). Either way the host sorts
/// by the mtimes the sandbox reports. Both include
/// hidden files, ignore no `.gitignore`, and skip `.git` directories, so they pick the same files.
public struct GlobTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Glob",
        description: """
            Finds files by glob pattern in the sandbox, newest first (by modification time).

            - Patterns like `**/*.js` or `src/**/*.ts`; a pattern without `/` (like `*.py`) matches file names \
            at any depth. `{a,b}` alternatives and `[abc]` classes work.
            - `path` is the directory to search (default: the working directory); omit it rather than sending null.
            - Hidden files are included; `.git` directories are not.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "pattern": ["type": "string", "description": "The glob pattern to match files against"],
                "path": [
                    "type": "string",
                    "description": "The directory to search in. If not specified, the working directory is used.",
                ],
            ],
            "required": ["pattern"],
            "additionalProperties": false,
        ])

    /// Prints which engine ran, then `mtime<TAB>path` per file (ripgrep's own `--sortr` orders
    /// each directory, not the whole list, so the host sorts).
    static let script = """
        [ -d "$1" ] || { printf 'not a directory\\n' >&2; exit 3; }
        cd -- "$1" || exit 3
        if command -v rg >/dev/null 2>&1; then
            printf 'rg\\n'
            rg --files --hidden --no-ignore --no-config --no-messages --null --glob "$2" --glob '!.git' \\
                | xargs -0 -r stat --printf '%.9Y\\t%n\\n'
            [ "${PIPESTATUS[0]}" -le 1 ] || exit 2
        else
            printf 'find\\n'
            find . -name .git -prune -o -type f -printf '%T@\\t%P\\n'
        fi
        """

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let pattern = try input.string("pattern")
        if pattern.isEmpty { throw ToolFailure("`pattern` is empty") }
        let directory = context.resolve(try input.optionalString("path") ?? context.workingDirectory)
        // The find fallback sends every file's name to the host, so it gets more room than a result.
        let output = try await ToolProcess.run(
            ["bash", "-c", Self.script, "glob", directory, pattern], context: context,
            maxOutputBytes: context.limits.maxReadBytes * 32)
        let result = output.result
        if result.exitCode == 3 { throw ToolFailure("No such directory: \(directory) (Glob searches a directory; omit `path` for the working directory)") }
        if result.exitCode != 0 || result.timedOut {
            throw ToolFailure("Glob failed (exit code \(result.exitCode)): \(output.stderrText.prefix(2000))")
        }
        var lines = output.stdoutText.split(separator: "\n", omittingEmptySubsequences: true)
        guard let engine = lines.first else { throw ToolFailure("Glob produced no output") }
        lines.removeFirst()
        let relative = Self.filterAndSort(lines, pattern: engine == "rg" ? nil : GlobPattern(pattern))
        if relative.isEmpty { return ToolOutput("No files found") }
        let limit = context.limits.globMaxResults
        var text = relative.prefix(limit).map { Self.join(directory, $0) }.joined(separator: "\n")
        if relative.count > limit || result.truncated {
            let total = result.truncated ? "more than \(relative.count)" : "\(relative.count)"
            text += "\n(Results are truncated: the first \(min(limit, relative.count)) of \(total) files. Use a more specific path or pattern.)"
        }
        return ToolOutput(text)
    }

    /// `mtime<TAB>path` lines: the paths (matching `pattern` when ripgrep did not filter them
    /// already), newest first, then by name.
    static func filterAndSort(_ lines: [Substring], pattern: GlobPattern?) -> [Substring] {
        var entries: [(modified: Double, path: Substring)] = []
        for line in lines {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            let path = line[line.index(after: tab)...]
            if let pattern, !pattern.matches(String(path)) { continue }
            entries.append((Double(line[..<tab]) ?? 0, path))
        }
        entries.sort { $0.modified != $1.modified ? $0.modified > $1.modified : $0.path < $1.path }
        return entries.map(\.path)
    }

    static func join(_ directory: String, _ relative: Substring) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }
}
