/// A string with `{…}` references, parsed once when the workflow is read.
///
/// Only braces whose content is a reference (`{input.x}`, `{steps.a.output}`, `{run_id}`,
/// `{env.X}`) are substituted; everything else, such as a shell's `${HOME}` or `{a,b}`, stays
/// literal text. There is no escape syntax: to write a literal `{input.x}` in a shell command,
/// break it up (`'{'input.x}`).
public struct Template: Sendable, Hashable, CustomStringConvertible {
    /// A piece of the template.
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// A reference, with where it starts in `source` (in Unicode scalars) and in the file.
        case reference(TemplateReference, span: Span)
    }

    /// Where a reference sits, so shell rendering can see its quoting and errors can point at it.
    public struct Span: Sendable, Hashable {
        /// Offset of the `{` in `source`, in Unicode scalars.
        public var offset: Int
        /// Length of `{…}` in Unicode scalars.
        public var length: Int
        /// Position of the `{` in the file, when known.
        public var location: SourceLocation?
    }

    /// The text as written.
    public let source: String
    public let parts: [Part]
    /// Where the template's YAML value starts, when it came from a file.
    public let location: SourceLocation?

    /// Every reference, in order (duplicates included).
    public var references: [TemplateReference] {
        parts.compactMap { if case .reference(let reference, _) = $0 { reference } else { nil } }
    }

    /// References with their spans.
    public var referenceSpans: [(reference: TemplateReference, span: Span)] {
        parts.compactMap { if case .reference(let reference, let span) = $0 { (reference, span) } else { nil } }
    }

    /// The reference when the whole template is exactly one reference (`"{steps.a.output}"`).
    /// Such a template keeps the value's JSON type (a list stays a list) where a value is wanted.
    public var singleReference: TemplateReference? {
        if parts.count == 1, case .reference(let reference, _) = parts[0] { return reference }
        return nil
    }

    public var description: String { source }

    /// A template without references.
    public init(literal text: String, location: SourceLocation? = nil) {
        source = text
        parts = text.isEmpty ? [] : [.literal(text)]
        self.location = location
    }

    private init(source: String, parts: [Part], location: SourceLocation?) {
        self.source = source
        self.parts = parts
        self.location = location
    }

    /// A problem found while parsing a template.
    public struct Issue: Sendable, Hashable {
        public var error: TemplateSyntaxError
        public var offset: Int
        public var location: SourceLocation?
    }

    /// Parses `source`, collecting malformed references as issues (they are kept as literal text).
    ///
    /// - Parameter locate: maps an offset in `source` (Unicode scalars) to a file position.
    public static func parse(
        _ source: String, location: SourceLocation? = nil,
        locate: ((Int) -> SourceLocation?)? = nil
    ) -> (template: Template, issues: [Issue]) {
        let scalars = Array(source.unicodeScalars)
        var parts: [Part] = []
        var issues: [Issue] = []
        var literal = String.UnicodeScalarView()
        var index = 0

        func flushLiteral() {
            if !literal.isEmpty { parts.append(.literal(String(literal))) }
            literal = String.UnicodeScalarView()
        }

        while index < scalars.count {
            guard scalars[index] == "{", let close = scalars[(index + 1)...].firstIndex(where: { $0 == "}" || $0 == "{" }),
                scalars[close] == "}"
            else {
                literal.append(scalars[index])
                index += 1
                continue
            }
            let content = String(String.UnicodeScalarView(scalars[(index + 1)..<close]))
            do {
                if let reference = try TemplateReference.parse(content) {
                    flushLiteral()
                    parts.append(
                        .reference(
                            reference,
                            span: Span(
                                offset: index, length: close - index + 1,
                                location: locate?(index))))
                    index = close + 1
                    continue
                }
            } catch {
                issues.append(Issue(error: error, offset: index, location: locate?(index)))
            }
            literal.append(contentsOf: scalars[index...close])
            index = close + 1
        }
        flushLiteral()
        return (Template(source: source, parts: parts, location: location), issues)
    }
}
