/// Checks on the addresses and variable names that configure providers, shared by the
/// environment (``ProviderSettings``) and the models file.
enum ProviderURL {
    /// `value` as a base URL (trailing slashes dropped), or nil when it is not an absolute
    /// http(s) URL with a host and nothing that would break a request line.
    static func normalized(_ value: String) -> String? {
        let lowered = value.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lowered.hasPrefix($0) }) else { return nil }
        let forbidden = value.unicodeScalars.contains {
            $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0 == "\"" || $0 == "<"
                || $0 == ">" || $0 == "\\" || $0 == "#" || $0 == "?"
        }
        guard !forbidden else { return nil }
        var url = value
        while url.hasSuffix("/") { url.removeLast() }
        let authority = url.dropFirst(scheme.count).prefix { $0 != "/" }
        guard !authority.isEmpty, !authority.hasPrefix(":") else { return nil }
        return url
    }

    /// Whether `name` can be an environment variable's name: a letter or `_`, then letters,
    /// digits and `_`.
    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("0"..."9").contains($0) || isASCIILetter($0) }
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}
