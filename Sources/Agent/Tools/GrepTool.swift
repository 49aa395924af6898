import JSONValues
import ModelProviders
import Sandbox

/// `Grep {pattern, path?, glob?, type?, output_mode?, -i?, -n?, -A?, -B?, -C?, head_limit?, offset?,
/// multiline?}`: a regex search inside the sandbox.
///
/// ripgrep when the sandbox has it; otherwise GNU `grep -P` (Perl regexes, the closest to
/// ripgrep's) over the files `find` lists, with `--include` for `glob` and `type`. Both search
/// hidden files, ignore no `.gitignore`, skip `.git` and binary files, and list files with matches
/// newest first. Without ripgrep `multiline` works only for the `files_with_matches` mode.
public struct GrepTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Grep",
        description: """
            Searches file contents with a regular expression (ripgrep syntax) in the sandbox.

            - `output_mode`: `files_with_matches` (default: paths of matching files, newest first), `content` \
            (matching lines, with `-n` line numbers on by default and `-A`/`-B`/`-C` context lines), or `count` \
            (matches per file).
            - Filter files with `glob` (e.g. `*.js`, `**/*.{ts,tsx}`) or `type` (e.g. `py`, `js`, `swift`).
            - `-i` ignores case; `multiline` lets a pattern span lines (`.` then matches newlines too).
            - Results are limited to `head_limit` entries (default 250; 0 for all), skipping `offset` first.
            - Literal braces and other regex characters need escaping (`interface\\{\\}`).
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "pattern": ["type": "string", "description": "The regular expression pattern to search for in file contents"],
                "path": ["type": "string", "description": "File or directory to search in. Defaults to the working directory."],
                "glob": ["type": "string", "description": "Glob pattern to filter files (e.g. \"*.js\", \"*.{ts,tsx}\")"],
                "type": ["type": "string", "description": "File type to search (e.g. js, py, rust, go, java)"],
                "output_mode": [
                    "type": "string", "enum": ["content", "files_with_matches", "count"],
                    "description": "Output mode; defaults to files_with_matches",
                ],
                "-i": ["type": "boolean", "description": "Case insensitive search"],
                "-n": ["type": "boolean", "description": "Show line numbers (content mode; default true)"],
                "-A": ["type": "number", "description": "Lines to show after each match (content mode)"],
                "-B": ["type": "number", "description": "Lines to show before each match (content mode)"],
                "-C": ["type": "number", "description": "Lines to show before and after each match (content mode)"],
                "context": ["type": "number", "description": "Same as -C"],
                "head_limit": ["type": "number", "description": "Show only the first N entries (default 250; 0 for no limit)"],
                "offset": ["type": "number", "description": "Skip the first N entries"],
                "multiline": ["type": "boolean", "description": "Let patterns span lines; `.` matches newlines (default false)"],
            ],
            "required": ["pattern"],
            "additionalProperties": false,
        ])

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let search = try GrepSearch(input, context: context)
        let output = try await ToolProcess.run(["bash", "-c", GrepSearch.script] + search.scriptArguments(), context: context)
        return try search.render(output, limits: context.limits)
    }
}

/// One Grep call's options, as ripgrep and as the grep fallback take them.
struct GrepSearch {
    enum Mode: String {
        case content, count
        case files = "files_with_matches"
    }

    let pattern: String
    let path: String
    let mode: Mode
    let glob: String?
    let fileType: String?
    let ignoreCase: Bool
    let lineNumbers: Bool
    let after: Int?
    let before: Int?
    let around: Int?
    let headLimit: Int?
    let skip: Int
    let multiline: Bool

    init(_ input: ToolInput, context: ToolContext) throws {
        pattern = try input.string("pattern")
        if pattern.isEmpty { throw ToolFailure("`pattern` is empty") }
        path = context.resolve(try input.optionalString("path") ?? context.workingDirectory)
        let modeName = try input.optionalString("output_mode") ?? Mode.files.rawValue
        guard let mode = Mode(rawValue: modeName) else {
            throw ToolFailure("`output_mode` must be content, files_with_matches or count, got \(modeName.debugDescription)")
        }
        self.mode = mode
        glob = try input.optionalString("glob").flatMap { $0.isEmpty ? nil : $0 }
        fileType = try input.optionalString("type").flatMap { $0.isEmpty ? nil : $0 }
        ignoreCase = try input.optionalBool("-i") ?? false
        lineNumbers = try input.optionalBool("-n") ?? true
        after = try input.optionalCount("-A")
        before = try input.optionalCount("-B")
        around = try input.optionalCount("-C") ?? input.optionalCount("context")
        let limit = try input.optionalCount("head_limit") ?? context.limits.grepDefaultHeadLimit
        headLimit = limit == 0 ? nil : limit
        skip = try input.optionalCount("offset") ?? 0
        multiline = try input.optionalBool("multiline") ?? false
        if let fileType, !fileType.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            throw ToolFailure("`type` must be a file type name like py or js, got \(fileType.debugDescription)")
        }
    }

    /// Both commands, split by a marker the script looks for; the script picks one by whether
    /// `rg` is on the sandbox's PATH.
    func scriptArguments() -> [String] {
        ["grep", mode.rawValue] + ripgrepArguments() + [Self.split] + fallbackArguments()
    }

    static let split = "--sandcastle-fallback--"

    /// `$1` is the mode; the ripgrep argv runs up to the split marker, the grep argv after it.
    /// The fallback lists files with `find` (sorted, so the output order is stable) and greps them.
    /// For `files_with_matches` each file's mtime is prefixed for the host to sort by (ripgrep's
    /// `--sortr modified` orders each directory, not the whole list).
    static let script = """
        mode=$1; shift
        rg_args=()
        while [ "$#" -gt 0 ] && [ "$1" != '\(split)' ]; do rg_args+=("$1"); shift; done
        shift
        target=${!#}
        set -- "${@:1:$#-1}"
        [ -e "$target" ] || { printf 'No such file or directory: %s\\n' "$target" >&2; exit 3; }
        if command -v rg >/dev/null 2>&1; then
            printf 'rg\\n'
            if [ "$mode" = files_with_matches ]; then
                "${rg_args[@]}" | xargs -0 -r stat --printf '%.9Y\\t%n\\n'
                status=${PIPESTATUS[0]}
            else
                "${rg_args[@]}"
                status=$?
            fi
            [ "$status" -le 1 ] || exit 2
            exit 0
        fi
        printf 'grep\\n'
        if [ "$mode" = files_with_matches ]; then
            find "$target" -name .git -prune -o -type f -print0 | sort -z | xargs -0 -r "$@" -- | xargs -0 -r stat --printf '%.9Y\\t%n\\n'
        else
            find "$target" -name .git -prune -o -type f -print0 | sort -z | xargs -0 -r "$@" --
        fi
        exit 0
        """

    func ripgrepArguments() -> [String] {
        var arguments = ["rg", "--no-config", "--color=never", "--hidden", "--no-ignore", "--no-messages", "--glob", "!.git"]
        switch mode {
        case .files: arguments += ["--files-with-matches", "--null"]
        case .count: arguments += ["--count", "--with-filename", "--sort", "path"]
        case .content:
            arguments += ["--no-heading", "--with-filename", "--sort", "path", lineNumbers ? "--line-number" : "--no-line-number"]
            arguments += contextArguments()
        }
        if ignoreCase { arguments.append("--ignore-case") }
        if multiline { arguments += ["--multiline", "--multiline-dotall"] }
        if let glob { arguments += ["--glob", glob] }
        if let fileType { arguments += ["--type", fileType] }
        return arguments + ["--regexp", pattern, "--", path]
    }

    /// The grep argv without its file operands (xargs adds them), then the search root last.
    func fallbackArguments() -> [String] {
        var arguments = ["grep", "--with-filename", "--binary-files=without-match", "--perl-regexp"]
        switch mode {
        case .files: arguments += ["--files-with-matches", "--null"]
        case .count: arguments.append("--count")
        case .content:
            if lineNumbers { arguments.append("--line-number") }
            arguments += contextArguments()
        }
        if ignoreCase { arguments.append("--ignore-case") }
        if multiline { arguments.append("--null-data") }
        for include in includes { arguments.append("--include=" + include) }
        let expression = multiline ? "(?s)" + pattern : pattern
        return arguments + ["--regexp", expression, path]
    }

    private func contextArguments() -> [String] {
        var arguments: [String] = []
        if let around { arguments += ["--context", String(around)] }
        if let after { arguments += ["--after-context", String(after)] }
        if let before { arguments += ["--before-context", String(before)] }
        return arguments
    }

    /// `--include` globs for the fallback: the `glob` (braces expanded: grep has none) and the
    /// names of the `type`.
    private var includes: [String] {
        var globs = glob.map(GlobPattern.expandBraces) ?? []
        if let fileType { globs += FileTypes.globs[fileType] ?? [] }
        return globs
    }

    func render(_ output: CollectedOutput, limits: ToolLimits) throws -> ToolOutput {
        let result = output.result
        if result.exitCode == 3 { throw ToolFailure("Path does not exist: \(path)") }
        if result.exitCode != 0 || result.timedOut {
            let message = output.stderrText.isEmpty ? "exit code \(result.exitCode)" : String(output.stderrText.prefix(2000))
            throw ToolFailure("Grep failed: \(message)")
        }
        var lines = output.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        guard let engine = lines.first else { throw ToolFailure("Grep produced no output") }
        lines.removeFirst()
        if engine == "grep" {
            if multiline && mode != .files {
                throw ToolFailure("multiline needs ripgrep, which this sandbox lacks, for output_mode \(mode.rawValue): use files_with_matches, then Read")
            }
            if let fileType, FileTypes.globs[fileType] == nil {
                throw ToolFailure("unknown file type \(fileType.debugDescription); known: \(FileTypes.globs.keys.sorted().joined(separator: ", "))")
            }
            lines = fallbackEntries(lines)
        } else if mode == .files {
            lines = Self.newestFirst(lines)
        }
        let stderr = output.stderrText
        if lines.isEmpty {
            if !stderr.isEmpty && engine == "grep" { throw ToolFailure("Grep failed: \(stderr.prefix(2000))") }
            return ToolOutput(mode == .files ? "No files found" : "No matches found")
        }
        return ToolOutput(page(lines, truncatedBytes: result.truncated ? result.outputBytes : nil))
    }

    /// The fallback's output in ripgrep's shape: files newest first, counts without zeros.
    private func fallbackEntries(_ lines: [Substring]) -> [Substring] {
        switch mode {
        case .files:
            return Self.newestFirst(lines)
        case .count:
            return lines.filter { !$0.hasSuffix(":0") }
        case .content:
            return lines
        }
    }

    /// `mtime<TAB>path` lines → the paths, newest first, then by name.
    static func newestFirst(_ lines: [Substring]) -> [Substring] {
        let entries = lines.compactMap { line -> (Double, Substring)? in
            guard let tab = line.firstIndex(of: "\t") else { return nil }
            return (Double(line[..<tab]) ?? 0, line[line.index(after: tab)...])
        }
        return entries.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }.map(\.1)
    }

    private func page(_ lines: [Substring], truncatedBytes: UInt64?) -> String {
        let shown = lines.dropFirst(skip).prefix(headLimit ?? Int.max)
        var text: String
        switch mode {
        case .files:
            text = "Found \(lines.count) file\(lines.count == 1 ? "" : "s")\n" + shown.joined(separator: "\n")
        case .count:
            let total = lines.reduce(0) { sum, line in sum + (line.split(separator: ":").last.flatMap { Int($0) } ?? 0) }
            text = shown.joined(separator: "\n") + "\n\nFound \(total) total occurrence\(total == 1 ? "" : "s") across \(lines.count) files."
        case .content:
            text = shown.joined(separator: "\n")
        }
        if shown.count < lines.count - min(skip, lines.count) {
            text += "\n[Showing \(shown.count) of \(lines.count) entries (offset \(skip)); use head_limit and offset to page]"
        }
        if let truncatedBytes { text += "\n" + OutputCap.note(totalBytes: truncatedBytes) }
        return text
    }
}

/// File types the grep fallback knows, as globs (ripgrep's `--type` names).
enum FileTypes {
    static let globs: [String: [String]] = [
        "c": ["*.c", "*.h"], "cpp": ["*.cpp", "*.cc", "*.cxx", "*.hpp", "*.hh", "*.hxx", "*.h"], "cs": ["*.cs"],
        "css": ["*.css", "*.scss"], "go": ["*.go"], "html": ["*.html", "*.htm"], "java": ["*.java"],
        "js": ["*.js", "*.jsx", "*.mjs", "*.cjs", "*.vue"], "json": ["*.json"], "kotlin": ["*.kt", "*.kts"],
        "lua": ["*.lua"], "md": ["*.md", "*.markdown", "*.mdx"], "markdown": ["*.md", "*.markdown", "*.mdx"],
        "php": ["*.php"], "py": ["*.py", "*.pyi"], "rb": ["*.rb"], "ruby": ["*.rb"], "rust": ["*.rs"],
        "sh": ["*.sh", "*.bash", "*.zsh"], "sql": ["*.sql"], "swift": ["*.swift"], "toml": ["*.toml"],
        "ts": ["*.ts", "*.tsx", "*.mts", "*.cts"], "txt": ["*.txt"], "xml": ["*.xml"], "yaml": ["*.yaml", "*.yml"],
    ]
}
