import Suggestions

/// State shared by one parse: the file's text and the diagnostics found so far.
public final class ParseSession {
    public let source: SourceText
    public var diagnostics = DiagnosticList()

    public init(source: SourceText) {
        self.source = source
    }

    public func error(_ code: ValidationDiagnostic.Code, at location: SourceLocation?, _ message: String, hint: String? = nil) {
        diagnostics.error(code, at: location, message, hint: hint)
    }

    public func warning(
        _ code: ValidationDiagnostic.Code, at location: SourceLocation?, _ message: String,
        hint: String? = nil
    ) {
        diagnostics.warning(code, at: location, message, hint: hint)
    }

    /// Parses a scalar as a template, reporting malformed references at their own position.
    public func template(from node: YAMLNode, field: String) -> Template? {
        guard let scalar = node.scalar, !isNonText(scalar.value) else {
            error(
                .wrongType, at: node.location, "`\(field)` must be a string, found \(node.typeName)",
                hint: node.scalar == nil ? nil : "quote it: \(field): \"…\"")
            return nil
        }
        let start = node.location
        let source = self.source
        let text = scalar.text
        let (template, issues) = Template.parse(text, location: start) { offset in
            source.location(ofOffset: offset, inValue: text, startingAt: start)
        }
        for issue in issues {
            error(.invalidTemplate, at: issue.location ?? start, issue.error.message, hint: issue.error.hint)
        }
        return template
    }

    /// Booleans and null are not text; numbers are (an image tag or a profile named `2024` is fine).
    func isNonText(_ value: JSONValue) -> Bool {
        switch value {
        case .bool, .null: true
        default: false
        }
    }
}

/// Reads the fields of one YAML mapping, remembering which were read so the rest can be
/// reported as unknown (with "did you mean") in one place.
///
/// Every accessor reports its own type errors and returns nil, so parsing goes on and all
/// problems are collected. Step kinds use it to read their own fields.
public final class MappingReader {
    public let node: YAMLNode
    /// How messages name this mapping: "step `build`", "`retry`", "the workflow".
    public let subject: String
    public let session: ParseSession
    private let pairs: [YAMLNode.Pair]
    private var read: Set<String> = []

    /// Fails (reporting it) when the node is not a mapping.
    public init?(_ node: YAMLNode, subject: String, session: ParseSession, expectation: String? = nil) {
        guard case .mapping(let pairs) = node.content else {
            session.error(
                .wrongType, at: node.location, "\(subject) must be a mapping, found \(node.typeName)",
                hint: expectation)
            return nil
        }
        self.node = node
        self.subject = subject
        self.session = session
        self.pairs = pairs
        for pair in pairs where pair.key.scalar == nil {
            session.error(.wrongType, at: pair.key.location, "keys of \(subject) must be plain names, found \(pair.key.typeName)")
        }
    }

    /// The keys as written, in order.
    public var keys: [String] { pairs.compactMap { $0.key.scalar?.text } }

    public func has(_ key: String) -> Bool { pairs.contains { $0.key.scalar?.text == key } }

    /// Where a key is written.
    public func keyLocation(_ key: String) -> SourceLocation? {
        pairs.first { $0.key.scalar?.text == key }?.key.location
    }

    /// The value node of a key, marking the key as read.
    public func value(_ key: String) -> YAMLNode? {
        guard let pair = pairs.first(where: { $0.key.scalar?.text == key }) else { return nil }
        read.insert(key)
        return pair.value
    }

    /// The value node of a key without marking it read.
    public func peek(_ key: String) -> YAMLNode? {
        pairs.first { $0.key.scalar?.text == key }?.value
    }

    /// Marks keys as read without looking at them (e.g. `type`, handled by the caller).
    public func markRead(_ keys: String...) { read.formUnion(keys) }

    private func missing(_ key: String, hint: String?) {
        session.error(.missingField, at: node.location, "\(subject) is missing `\(key)`", hint: hint)
    }

    /// A string. Numbers are accepted as their text; booleans, null and collections are not.
    public func string(_ key: String, required: Bool = false, hint: String? = nil) -> Located<String>? {
        guard let value = value(key) else {
            if required { missing(key, hint: hint) }
            return nil
        }
        guard let scalar = value.scalar, !session.isNonText(scalar.value) else {
            let quoteHint = value.scalar.map { "quote it if you mean the text: \(key): \"\($0.text)\"" }
            session.error(
                .wrongType, at: value.location, "`\(key)` must be a string, found \(value.typeName)",
                hint: quoteHint ?? hint)
            return nil
        }
        return Located(scalar.text, at: value.location)
    }

    /// A string that is not empty or only spaces.
    public func nonEmptyString(_ key: String, required: Bool = false, hint: String? = nil) -> Located<String>? {
        guard let text = string(key, required: required, hint: hint) else { return nil }
        guard !text.value.trimmingSpaces.isEmpty else {
            session.error(.invalidValue, at: text.location, "`\(key)` must not be empty", hint: hint)
            return nil
        }
        return text
    }

    /// An integer within `range`.
    public func integer(_ key: String, in range: ClosedRange<Int>, required: Bool = false) -> Located<Int>? {
        guard let value = value(key) else {
            if required { missing(key, hint: nil) }
            return nil
        }
        let number: Int?
        switch value.scalar?.value {
        case .integer(let integer): number = integer
        case .number(let double) where double.rounded() == double && abs(double) < 9e15: number = Int(double)
        default: number = nil
        }
        guard let number else {
            session.error(
                .wrongType, at: value.location, "`\(key)` must be an integer, found \(value.typeName)",
                hint: "write a whole number between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        guard range.contains(number) else {
            session.error(
                .invalidValue, at: value.location,
                "`\(key)` must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
            return nil
        }
        return Located(number, at: value.location)
    }

    /// `true` or `false`.
    public func bool(_ key: String) -> Located<Bool>? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag)? = value.scalar?.value else {
            let text = value.scalar?.text.lowercased()
            let hint = ["yes", "on"].contains(text) ? "write true" : ["no", "off"].contains(text) ? "write false" : "write true or false"
            session.error(.wrongType, at: value.location, "`\(key)` must be true or false, found \(value.typeName)", hint: hint)
            return nil
        }
        return Located(flag, at: value.location)
    }

    /// A duration (`30s`, `5m`, `1h30m`, or seconds as a number) within `range`.
    public func duration(_ key: String, in range: ClosedRange<Duration>) -> Located<Duration>? {
        guard let value = value(key) else { return nil }
        guard let json = value.scalar?.value, let duration = DurationParser.parse(json) else {
            session.error(
                .invalidDuration, at: value.location,
                "`\(key)` must be a duration, found \(value.scalar.map { "`\($0.text)`" } ?? value.typeName)",
                hint: "write seconds as a number (90) or a duration like 30s, 5m, 1h30m")
            return nil
        }
        guard range.contains(duration) else {
            let (low, high) = (DurationParser.format(range.lowerBound), DurationParser.format(range.upperBound))
            session.error(
                .invalidDuration, at: value.location,
                "`\(key)` must be between \(low) and \(high), found \(DurationParser.format(duration))")
            return nil
        }
        return Located(duration, at: value.location)
    }

    /// One of a fixed set of words.
    public func choice<T: RawRepresentable & CaseIterable & Sendable>(_ key: String, _ type: T.Type) -> Located<T>?
    where T.RawValue == String {
        guard let text = string(key) else { return nil }
        guard let choice = T(rawValue: text.value) else {
            let names = T.allCases.map(\.rawValue)
            session.error(
                .invalidValue, at: text.location, "`\(text.value)` is not a valid `\(key)`",
                hint: EditDistance.suggestion(for: text.value, among: names)
                    ?? "use one of \(names.joined(separator: ", "))")
            return nil
        }
        return Located(choice, at: text.location)
    }

    /// A list of strings; a single string is accepted as a list of one when `allowSingle` is set.
    public func stringList(_ key: String, allowSingle: Bool = true) -> [Located<String>]? {
        guard let value = value(key) else { return nil }
        switch value.content {
        case .scalar(let scalar) where allowSingle && !session.isNonText(scalar.value):
            return [Located(scalar.text, at: value.location)]
        case .sequence(let items):
            var result: [Located<String>] = []
            for item in items {
                guard let scalar = item.scalar, !session.isNonText(scalar.value) else {
                    session.error(.wrongType, at: item.location, "items of `\(key)` must be strings, found \(item.typeName)")
                    continue
                }
                result.append(Located(scalar.text, at: item.location))
            }
            return result
        default:
            session.error(
                .wrongType, at: value.location, "`\(key)` must be a list of strings, found \(value.typeName)",
                hint: "write \(key): [a, b] or one item per line starting with `- `")
            return nil
        }
    }

    /// A string parsed as a template.
    public func template(_ key: String, required: Bool = false, hint: String? = nil) -> Template? {
        guard let value = value(key) else {
            if required { missing(key, hint: hint) }
            return nil
        }
        return session.template(from: value, field: key)
    }

    /// A nested mapping.
    public func mapping(_ key: String, expectation: String? = nil) -> MappingReader? {
        guard let value = value(key) else { return nil }
        return MappingReader(value, subject: "`\(key)`", session: session, expectation: expectation)
    }

    /// A mapping of names to templates (`env`, `input_mapping`, `outputs`). Values may be strings,
    /// numbers or booleans (written as text); lists and mappings are refused.
    public func templateMap(_ key: String, nameRule: ((String) -> String?)? = nil)
        -> [(name: String, value: Template, location: SourceLocation)]?
    {
        guard let reader = mapping(key, expectation: "write one `NAME: value` per line") else { return nil }
        var entries: [(String, Template, SourceLocation)] = []
        for pair in reader.pairs {
            guard let name = pair.key.scalar?.text else { continue }
            reader.read.insert(name)
            if let problem = nameRule?(name) {
                session.error(.invalidValue, at: pair.key.location, problem)
                continue
            }
            guard let scalar = pair.value.scalar, scalar.value != .null else {
                session.error(
                    .wrongType, at: pair.value.location,
                    "`\(key).\(name)` must be a string, found \(pair.value.typeName)",
                    hint: pair.value.scalar == nil
                        ? "pass structured data as JSON text, or reference it: \"{steps.ID.output}\""
                        : "write an empty string as \"\"")
                continue
            }
            let template: Template?
            if case .string = scalar.value {
                template = session.template(from: pair.value, field: "\(key).\(name)")
            } else {
                // true, 3, 1.5: the value as written is the text.
                template = Template(literal: scalar.text, location: pair.value.location)
            }
            if let template { entries.append((name, template, pair.key.location)) }
        }
        return entries
    }

    /// Reports every key that was not read as unknown, with the closest allowed name.
    ///
    /// - Parameter explanations: keys that are known elsewhere, with why they do not belong here
    ///   (e.g. `run` on an approval step).
    public func reportUnknownFields(allowed: Set<String>, explanations: [String: String] = [:]) {
        for pair in pairs {
            guard let key = pair.key.scalar?.text, !read.contains(key), !allowed.contains(key) else { continue }
            if let explanation = explanations[key] {
                session.error(.unknownField, at: pair.key.location, "`\(key)` is not a field of \(subject)", hint: explanation)
            } else {
                session.error(
                    .unknownField, at: pair.key.location, "unknown field `\(key)` in \(subject)",
                    hint: EditDistance.suggestion(for: key, among: allowed)
                        ?? "allowed fields: \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }
}
