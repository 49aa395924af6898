/// A glob as ripgrep's `--glob` reads it (gitignore rules), for the `find` fallback of `Glob` and
/// `Grep` in sandboxes without ripgrep, so both paths pick the same files.
///
/// - A pattern without `/` matches a file's name at any depth (`*.ts`); one with a `/` is anchored
///   to the search root (`src/*.ts`), a leading `/` only anchors (`/top.ts`).
/// - `*` and `?` never match `/`; `**` as a whole path segment matches any number of segments;
///   `[abc]`, `[a-z]`, `[!x]` (or `[^x]`) are classes; `{a,b}` are alternatives; `\` escapes.
struct GlobPattern: Sendable {
    private let alternatives: [[Substring]]

    init(_ pattern: String) {
        alternatives = Self.expandBraces(pattern).map { alternative in
            var text = Substring(alternative)
            let anchored = text.hasPrefix("/") || text.dropLast(text.hasSuffix("/") ? 1 : 0).contains("/")
            while text.hasPrefix("/") { text = text.dropFirst() }
            var segments = text.split(separator: "/", omittingEmptySubsequences: true)
            if !anchored { segments.insert("**", at: 0) }
            return segments
        }
    }

    /// Whether `path` (relative to the search root, `/`-separated, no leading `./`) matches.
    func matches(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return alternatives.contains { Self.match(ArraySlice($0), ArraySlice(parts)) }
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ path: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            // `**` swallows zero or more whole segments.
            for skip in 0...path.count where match(rest, path.dropFirst(skip)) { return true }
            return false
        }
        guard let segment = path.first, matchSegment(Array(head), Array(segment)) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// One segment against one name: `*`, `?`, classes and escapes.
    private static func matchSegment(_ pattern: [Character], _ name: [Character]) -> Bool {
        var p = 0
        var n = 0
        var starP = -1
        var starN = 0
        while n < name.count {
            if p < pattern.count {
                switch pattern[p] {
                case "*":
                    starP = p
                    starN = n
                    p += 1
                    continue
                case "?":
                    p += 1
                    n += 1
                    continue
                case "[":
                    if let (matched, next) = matchClass(pattern, from: p, name[n]) {
                        if matched {
                            p = next
                            n += 1
                            continue
                        }
                    } else if name[n] == "[" { // an unclosed `[` is literal
                        p += 1
                        n += 1
                        continue
                    }
                case "\\" where p + 1 < pattern.count:
                    if pattern[p + 1] == name[n] {
                        p += 2
                        n += 1
                        continue
                    }
                default:
                    if pattern[p] == name[n] {
                        p += 1
                        n += 1
                        continue
                    }
                }
            }
            // Mismatch: let the last `*` take one more character, or fail.
            guard starP >= 0 else { return false }
            starN += 1
            n = starN
            p = starP + 1
        }
        while p < pattern.count, pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }

    /// A `[...]` class at `start`: whether `character` is in it and where the pattern goes on;
    /// nil when the class is not closed.
    private static func matchClass(_ pattern: [Character], from start: Int, _ character: Character) -> (Bool, Int)? {
        var index = start + 1
        var negated = false
        if index < pattern.count, pattern[index] == "!" || pattern[index] == "^" {
            negated = true
            index += 1
        }
        var matched = false
        var first = true
        while index < pattern.count {
            let current = pattern[index]
            if current == "]" && !first { return (matched != negated, index + 1) }
            first = false
            if index + 2 < pattern.count, pattern[index + 1] == "-", pattern[index + 2] != "]" {
                if current <= character && character <= pattern[index + 2] { matched = true }
                index += 3
            } else {
                if current == character { matched = true }
                index += 1
            }
        }
        return nil
    }

    /// `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`. Unbalanced braces stay literal.
    static func expandBraces(_ pattern: String) -> [String] {
        let characters = Array(pattern)
        guard let open = characters.firstIndex(of: "{") else { return [pattern] }
        var depth = 0
        var commas: [Int] = []
        var close: Int?
        for index in open..<characters.count {
            switch characters[index] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { close = index }
            case "," where depth == 1: commas.append(index)
            default: break
            }
            if close != nil { break }
        }
        guard let close else { return [pattern] }
        let prefix = String(characters[..<open])
        let suffix = String(characters[(close + 1)...])
        var bounds = [open] + commas + [close]
        var options: [String] = []
        while bounds.count > 1 {
            options.append(String(characters[(bounds[0] + 1)..<bounds[1]]))
            bounds.removeFirst()
        }
        return options.flatMap { option in expandBraces(prefix + option + suffix) }
    }
}
