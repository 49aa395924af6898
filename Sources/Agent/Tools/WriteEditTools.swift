import JSONValues
import ModelProviders
import Sandbox

/// `Write {file_path, content}`: creates or replaces a file, creating missing parent directories.
public struct WriteTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Write",
        description: """
            Writes a file in the sandbox, replacing it if it exists; missing parent directories are created.

            - `file_path` should be absolute; a relative path is taken from the working directory.
            - To change part of an existing file, prefer Edit.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "file_path": ["type": "string", "description": "The absolute path to the file to write"],
                "content": ["type": "string", "description": "The content to write to the file"],
            ],
            "required": ["file_path", "content"],
            "additionalProperties": false,
        ])

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let path = context.resolve(try input.string("file_path"))
        let content = Array(try input.string("content").utf8)
        try await FileToolSupport.write(content, to: path, context: context)
        return ToolOutput("Wrote \(content.count) bytes to \(path)")
    }
}

/// `Edit {file_path, old_string, new_string, replace_all?}`: an exact text replacement in a file.
///
/// Matching is on the UTF-8 bytes, exactly (no normalisation, no regex), so what the model read
/// with `Read` (without the line-number prefixes) is what it must give.
public struct EditTool: AgentTool {
    public init() {}

    public let definition = ToolDefinition(
        name: "Edit",
        description: """
            Performs an exact string replacement in a file in the sandbox.

            - `old_string` must match the file's text exactly, including indentation (without the line-number \
            prefix Read shows), and must be unique in the file unless `replace_all` is true: include enough \
            surrounding lines to make it unique.
            - `new_string` must differ from `old_string`.
            - `replace_all` replaces every occurrence (for renaming a variable, say).
            - With an empty `old_string` a file that does not exist yet is created with `new_string`.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "file_path": ["type": "string", "description": "The absolute path to the file to modify"],
                "old_string": ["type": "string", "description": "The text to replace"],
                "new_string": ["type": "string", "description": "The text to replace it with (must be different from old_string)"],
                "replace_all": ["type": "boolean", "description": "Replace all occurrences of old_string (default false)"],
            ],
            "required": ["file_path", "old_string", "new_string"],
            "additionalProperties": false,
        ])

    public func run(_ input: ToolInput, context: ToolContext) async throws -> ToolOutput {
        let path = context.resolve(try input.string("file_path"))
        let old = Array(try input.string("old_string").utf8)
        let new = Array(try input.string("new_string").utf8)
        let replaceAll = try input.optionalBool("replace_all") ?? false
        if old == new { throw ToolFailure("`old_string` and `new_string` are the same: there is nothing to change") }

        if old.isEmpty {
            // Claude Code's way of creating a file with Edit: only where there is none yet.
            do {
                _ = try await context.sandbox.stat(path: path)
                throw ToolFailure("`old_string` is empty, but \(path) already exists: give the text to replace, or use Write")
            } catch let error as SandboxError where error.code == .notFound {
                try await FileToolSupport.write(new, to: path, context: context)
                return ToolOutput("Created \(path) (\(new.count) bytes)")
            }
        }

        let info = try await FileToolSupport.stat(path, context: context)
        if info.kind == .directory { throw ToolFailure("\(path) is a directory, not a file") }
        if info.size > context.limits.maxEditFileBytes {
            throw ToolFailure("\(path) is \(info.size) bytes, more than Edit handles (\(context.limits.maxEditFileBytes)); use Bash (sed) instead")
        }
        let bytes: [UInt8]
        do {
            bytes = try await context.sandbox.readFileBytes(path)
        } catch let error as SandboxError {
            throw FileToolSupport.failure(error, path: path)
        }
        if NumberedLines.looksBinary(bytes) { throw ToolFailure("\(path) is a binary file; Edit changes text files only") }

        let matches = ByteSearch.occurrences(of: old, in: bytes)
        if matches.isEmpty {
            throw ToolFailure("`old_string` was not found in \(path). Read the file again and copy the text exactly, including whitespace.")
        }
        if matches.count > 1 && !replaceAll {
            throw ToolFailure(
                "`old_string` occurs \(matches.count) times in \(path). Give more surrounding context to make it unique, or set replace_all to true."
            )
        }
        let edited = ByteSearch.replacing(matches, length: old.count, with: new, in: bytes)
        try await FileToolSupport.write(edited, to: path, context: context)
        let count = matches.count
        return ToolOutput("Edited \(path): \(count) replacement\(count == 1 ? "" : "s")")
    }
}

extension FileToolSupport {
    static func write(_ bytes: [UInt8], to path: String, context: ToolContext) async throws {
        do {
            _ = try await context.sandbox.writeFile(FileWrite(path: path, createParents: true), contents: ChunkedBytes(bytes))
        } catch let error as SandboxError {
            throw failure(error, path: path)
        }
    }
}

/// Exact, non-overlapping byte-string search (what `str.replace` does), left to right.
enum ByteSearch {
    static func occurrences(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard let first = needle.first, needle.count <= haystack.count else { return [] }
        var found: [Int] = []
        var index = 0
        let last = haystack.count - needle.count
        while index <= last {
            guard let candidate = haystack[index...last].firstIndex(of: first) else { break }
            if haystack[candidate..<candidate + needle.count].elementsEqual(needle) {
                found.append(candidate)
                index = candidate + needle.count
            } else {
                index = candidate + 1
            }
        }
        return found
    }

    static func replacing(_ matches: [Int], length: Int, with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + matches.count * max(0, replacement.count - length))
        var copied = 0
        for match in matches {
            result.append(contentsOf: bytes[copied..<match])
            result.append(contentsOf: replacement)
            copied = match + length
        }
        result.append(contentsOf: bytes[copied...])
        return result
    }
}
