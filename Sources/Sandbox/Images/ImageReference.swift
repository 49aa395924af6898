/// The grammar of an image reference (`[host[:port]/]path[:tag][@algorithm:hex]`), as the OCI
/// distribution spec and the Docker engine define it, checked before any engine sees it.
///
/// An engine refuses a malformed reference (`Base`: "repository name must be lowercase";
/// `x@sha256:zz`: "invalid reference format") only after the sandbox has been asked for, in its
/// own words; checking here turns that into a caller's error naming what is wrong. The grammar is
/// the format's, not one backend's: it decides nothing about whether the image exists.
public enum ImageReference {
    /// The longest name (host and path) a registry accepts.
    static let maxNameLength = 255

    /// Nil when `reference` is well formed; otherwise why it is not, as a phrase that completes
    /// "the image reference 'X' is not valid: …".
    public static func problem(_ reference: String) -> String? {
        if reference.isEmpty { return "it is empty" }
        for scalar in reference.unicodeScalars {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            if scalar.properties.isWhitespace { return "it contains whitespace (\(code))" }
            if scalar.value < 0x20 || scalar.value == 0x7F { return "it contains a control character (\(code))" }
            if !scalar.isASCII { return "it contains '\(scalar)' (\(code)); image references are ASCII" }
        }
        var name = Substring(reference)
        if let at = name.firstIndex(of: "@") {
            if let problem = digestProblem(name[name.index(after: at)...]) { return problem }
            name = name[..<at]
        }
        // A tag follows the last ':' after the last '/'; a ':' before it is a registry's port.
        let lastSlash = name.lastIndex(of: "/")
        let tagSearch = lastSlash.map { name[name.index(after: $0)...] } ?? name
        if let colon = tagSearch.lastIndex(of: ":") {
            let tag = name[name.index(after: colon)...]
            if !isTag(tag) {
                return "its tag '\(tag)' must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
            }
            name = name[..<colon]
        }
        if name.isEmpty { return "it has no repository name" }
        if name.count > maxNameLength { return "its name is longer than \(maxNameLength) characters" }
        var components = name.split(separator: "/", omittingEmptySubsequences: false)
        // The first component is a registry host when it looks like one (a '.', a port, or localhost).
        if components.count > 1, let first = components.first, first.contains(".") || first.contains(":") || first == "localhost" {
            if !isHost(first) { return "its registry '\(first)' is not a host name with an optional port" }
            components.removeFirst()
        }
        for component in components where !isPathComponent(component) {
            if component.contains(where: \.isUppercase) {
                return "its repository name must be lowercase ('\(component)')"
            }
            return "its repository name part '\(component)' must be lowercase letters and digits, "
                + "separated by '.', '_', '__' or '-'"
        }
        return nil
    }

    /// `algorithm:hex`: the engine knows sha256 (64 hex digits) and sha512 (128); other
    /// algorithms follow the general grammar (at least 32 hex digits).
    private static func digestProblem(_ digest: Substring) -> String? {
        guard let colon = digest.firstIndex(of: ":") else {
            return "its digest '\(digest)' must be algorithm:hex, such as sha256: and 64 hex digits"
        }
        let algorithm = digest[..<colon]
        let hex = digest[digest.index(after: colon)...]
        let isHex = !hex.isEmpty && hex.allSatisfy(\.isHexDigit)
        switch algorithm {
        case "sha256" where !(isHex && hex.count == 64 && hex == hex.lowercased()):
            return "its digest must be sha256: and 64 lowercase hex digits, not '\(digest)'"
        case "sha512" where !(isHex && hex.count == 128 && hex == hex.lowercased()):
            return "its digest must be sha512: and 128 lowercase hex digits, not '\(digest)'"
        case "sha256", "sha512":
            return nil
        default:
            let validAlgorithm =
                algorithm.split(separator: "+", omittingEmptySubsequences: false).allSatisfy { part in
                    part.first?.isLetter == true && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
                }
            guard validAlgorithm, isHex, hex.count >= 32 else {
                return "its digest '\(digest)' must be algorithm:hex, such as sha256: and 64 hex digits"
            }
            return nil
        }
    }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    private static func isTag(_ tag: Substring) -> Bool {
        guard let first = tag.first, tag.count <= 128, first.isASCII, first.isLetter || first.isNumber || first == "_" else {
            return false
        }
        return tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    /// `[a-z0-9]+` joined by `.`, `_`, `__` or any run of `-`.
    private static func isPathComponent(_ component: Substring) -> Bool {
        func isAlphanumeric(_ character: Character) -> Bool {
            character.isASCII && (character.isLowercase || character.isNumber)
        }
        guard let first = component.first, let last = component.last, isAlphanumeric(first), isAlphanumeric(last) else {
            return false
        }
        var separator = ""
        for character in component {
            if isAlphanumeric(character) {
                guard separator.isEmpty || isSeparator(separator) else { return false }
                separator = ""
            } else {
                separator.append(character)
            }
        }
        return true
    }

    private static func isSeparator(_ text: String) -> Bool {
        text == "." || text == "_" || text == "__" || text.allSatisfy { $0 == "-" }
    }

    /// A domain name (components of letters, digits and inner '-', joined by '.') and an optional port.
    private static func isHost(_ host: Substring) -> Bool {
        var name = host
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy(\.isNumber), port.allSatisfy(\.isASCII) else { return false }
            name = host[..<colon]
        }
        return !name.isEmpty
            && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                guard let first = label.first, let last = label.last else { return false }
                return first != "-" && last != "-"
                    && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
            }
    }
}
