import Foundation

/// A seccomp profile together with the text it was parsed from, so that problems can be
/// reported with a line and column.
public struct SeccompDocument: Sendable {
    public var profile: SeccompProfile
    /// The JSON text as read.
    public var text: String
    /// Where it was read from (nil for inline text).
    public var file: String?

    public init(profile: SeccompProfile, text: String, file: String?) {
        self.profile = profile
        self.text = text
        self.file = file
    }

    /// Reads and parses a profile file. Structural problems (bad JSON, unknown keys, wrong
    /// types) throw here; everything else is for ``validate()``.
    public static func load(path: String) throws -> SeccompDocument {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SeccompError(.unreadable, "cannot read seccomp profile \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses profile text.
    public static func parse(_ text: String, file: String? = nil) throws -> SeccompDocument {
        let source = SourceText(text)
        do {
            let profile = try JSONDecoder().decode(SeccompProfile.self, from: Data(text.utf8))
            return SeccompDocument(profile: profile, text: text, file: file)
        } catch {
            throw DecodeFailure.describe(error, source: source, file: file, what: "seccomp profile")
        }
    }

    /// Checks the profile against libseccomp; see ``SeccompValidator``.
    public func validate() -> ValidationReport { SeccompValidator().validate(self) }

    /// Like ``validate()`` but throws a ``SeccompError`` listing every error when there is one.
    @discardableResult
    public func validated() throws -> ValidationReport {
        let report = validate()
        try report.throwIfInvalid(file: file)
        return report
    }

    /// The profile re-encoded compactly with sorted keys: what the engine is sent inline.
    public func compactJSON() throws -> String {
        // Re-serialised from the parsed object rather than from the model, so that a
        // field the model keeps as-is (comments) survives byte-for-byte in meaning.
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Turns decoding errors into ``SeccompError``s that name the JSON path and, where the text
/// can be searched for it, the line and column. Shared with the isolation profile format.
public enum DecodeFailure {
    public static func describe(_ error: any Error, source: SourceText, file: String?, what: String) -> SeccompError {
        let where_ = file.map { " \($0)" } ?? ""
        if let unknown = error as? UnknownKeyError {
            let path = JSONPath.render(unknown.codingPath + [unknown.key])
            let suggestion =
                unknown.allowed.first { $0.lowercased() == unknown.key.lowercased() }
                ?? unknown.allowed.first { editDistance($0.lowercased(), unknown.key.lowercased()) <= 2 }
            let hint = suggestion.map { "; did you mean '\($0)'?" } ?? "; known keys: \(unknown.allowed.joined(separator: ", "))"
            let issue = ValidationIssue(
                .error, .unknownField, "unknown field '\(unknown.key)'\(hint)", file: file, jsonPath: path,
                location: source.location(ofKey: unknown.key))
            return SeccompError(.unknownField, "\(what)\(where_) is invalid: \(issue)", cause: error, issues: [issue])
        }
        if let decoding = error as? DecodingError {
            let (code, message, path) = explain(decoding)
            let key = path.last.flatMap { $0.intValue == nil ? $0.stringValue : nil }
            let location = key.flatMap { source.location(ofKey: $0) } ?? source.location(fromFoundationMessage: "\(decoding)")
            let issue = ValidationIssue(
                .error, code, message, file: file, jsonPath: path.isEmpty ? nil : JSONPath.render(path),
                location: location)
            return SeccompError(code, "\(what)\(where_) is invalid: \(issue)", cause: error, issues: [issue])
        }
        return SeccompError(.invalidJSON, "\(what)\(where_) is not valid JSON: \(error)", cause: error)
    }

    private static func explain(_ error: DecodingError) -> (SeccompError.Code, String, [any CodingKey]) {
        switch error {
        case .keyNotFound(let key, let context):
            return (.missingField, "missing required field '\(key.stringValue)'", context.codingPath + [key])
        case .typeMismatch(let type, let context):
            let code: SeccompError.Code = context.codingPath.last?.stringValue == "index" ? .invalidArgument : .invalidJSON
            return (code, "expected \(describe(type)): \(context.debugDescription)", context.codingPath)
        case .valueNotFound(let type, let context):
            return (.invalidJSON, "expected \(describe(type)), found null", context.codingPath)
        case .dataCorrupted(let context):
            let underlying = context.underlyingError.map { " (\(String(describing: $0)))" } ?? ""
            let code: SeccompError.Code = context.codingPath.last?.stringValue == "index" ? .invalidArgument : .invalidJSON
            return (code, context.codingPath.isEmpty ? "not valid JSON\(underlying)" : context.debugDescription, context.codingPath)
        @unknown default:
            return (.invalidJSON, "\(error)", [])
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is UInt.Type, is UInt32.Type, is UInt64.Type, is Int.Type, is Int64.Type: return "a non-negative integer"
        case is Bool.Type: return "true or false"
        case is Double.Type: return "a number"
        default: return "\(type)"
        }
    }

    /// Levenshtein distance, for "did you mean" hints.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Searches a JSON text for tokens, to turn "rule 12, name 3" into a line and column
/// without a position-tracking parser.
public struct SourceText: Sendable {
    public let text: String
    private let scalars: [Unicode.Scalar]

    public init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    /// The location of the `occurrence`-th (0-based) string literal equal to `literal`,
    /// falling back to the first one when there are fewer.
    public func location(ofString literal: String, occurrence: Int = 0) -> SourceLocation? {
        let offsets = offsets(of: "\"" + Self.escape(literal) + "\"")
        guard !offsets.isEmpty else { return nil }
        return location(atOffset: offsets[occurrence < offsets.count ? occurrence : 0])
    }

    /// The location of a key (`"key":`), the first occurrence.
    public func location(ofKey key: String, occurrence: Int = 0) -> SourceLocation? {
        let needle = "\"" + Self.escape(key) + "\""
        let offsets = offsets(of: needle).filter { offset in
            var index = offset + needle.unicodeScalars.count
            while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
            return index < scalars.count && scalars[index] == ":"
        }
        guard !offsets.isEmpty else { return nil }
        return location(atOffset: offsets[occurrence < offsets.count ? occurrence : 0])
    }

    /// Foundation's JSON errors say "around line 3, column 5"; pick that up when present.
    public func location(fromFoundationMessage message: String) -> SourceLocation? {
        guard let range = message.range(of: #"line (\d+), column (\d+)"#, options: .regularExpression) else { return nil }
        let numbers = message[range].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count == 2 else { return nil }
        return SourceLocation(line: numbers[0], column: numbers[1])
    }

    private func offsets(of needle: String) -> [Int] {
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, pattern.count <= scalars.count else { return [] }
        var result: [Int] = []
        var index = 0
        while index + pattern.count <= scalars.count {
            if scalars[index] == pattern[0], Array(scalars[index..<index + pattern.count]) == pattern,
                index == 0 || scalars[index - 1] != "\\"
            {
                result.append(index)
                index += pattern.count
            } else {
                index += 1
            }
        }
        return result
    }

    private func location(atOffset offset: Int) -> SourceLocation {
        var line = 1, column = 1
        for scalar in scalars[..<offset] {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourceLocation(line: line, column: column)
    }

    private static func escape(_ literal: String) -> String {
        literal.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
