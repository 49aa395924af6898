/// The workflow file's text, used to turn an offset inside a YAML value into a file position.
///
/// libyaml only marks where a node starts. A reference inside a multi-line `run: |` block
/// is found by walking the value's text and the file's text side by side from that mark.
public struct SourceText: Sendable {
    public let file: String
    private let scalars: [Unicode.Scalar]
    /// Offset in `scalars` where each line starts.
    private let lineStarts: [Int]

    public init(_ text: String, file: String) {
        self.file = file
        scalars = Array(text.unicodeScalars)
        var starts = [0]
        for (index, scalar) in scalars.enumerated() where scalar == "\n" { starts.append(index + 1) }
        lineStarts = starts
    }

    /// The text of a 1-based line, without its newline.
    public func line(_ number: Int) -> String? {
        guard number >= 1, number <= lineStarts.count else { return nil }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] - 1 : scalars.count
        if end > start, scalars[end - 1] == "\r" { end -= 1 }
        return String(String.UnicodeScalarView(scalars[start..<max(start, end)]))
    }

    private func offset(of location: SourceLocation) -> Int? {
        guard location.line >= 1, location.line <= lineStarts.count else { return nil }
        return min(lineStarts[location.line - 1] + max(location.column - 1, 0), scalars.count)
    }

    private func location(ofOffset offset: Int) -> SourceLocation {
        // The last line start at or before offset.
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return SourceLocation(file: file, line: low + 1, column: offset - lineStarts[low] + 1)
    }

    /// The file position of Unicode-scalar `offset` inside a scalar value whose node starts at `start`.
    ///
    /// Falls back to `start` when the value's text cannot be matched to the file (for example a
    /// double-quoted string with `\n` escapes before the offset).
    public func location(ofOffset target: Int, inValue value: String, startingAt start: SourceLocation) -> SourceLocation {
        guard let begin = offset(of: start) else { return start }
        let content = Array(value.unicodeScalars)
        guard target <= content.count else { return start }
        var cursor = begin
        for index in 0...target {
            guard index < content.count else { break }
            let wanted = content[index]
            var probe = cursor
            // Skip what the value does not contain: indentation, quotes, escapes, block indicators.
            while probe < scalars.count, probe - cursor < 256, !matches(scalars[probe], wanted) { probe += 1 }
            guard probe < scalars.count, matches(scalars[probe], wanted) else { return start }
            if index == target { return location(ofOffset: probe) }
            cursor = probe + 1
        }
        return location(ofOffset: min(cursor, scalars.count))
    }

    private func matches(_ source: Unicode.Scalar, _ wanted: Unicode.Scalar) -> Bool {
        // A folded block or a multi-line plain scalar turns line breaks into spaces.
        source == wanted || (wanted == " " && source == "\n")
    }
}
