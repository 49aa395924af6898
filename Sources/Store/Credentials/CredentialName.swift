/// The rule for a credential's name: `service:connection` (`github:default`,
/// `postgresql:analytics`), each part `[a-z0-9_.-]`, at most 100 characters in all.
///
/// The workflow parser checks the same rule (`CredentialDeclaration` in Workflow, which does
/// not import the store); a test keeps the two equal.
public enum CredentialName {
    public static let maximumLength = 100
    public static let rule =
        "a credential name is `service:connection` (e.g. `github:default`): lowercase letters, digits, `_`, `.` and `-`, one `:`, at most 100 characters"

    /// Why `name` is not a valid credential name, or nil when it is.
    public static func problem(_ name: String) -> String? {
        guard !name.isEmpty else { return "the credential name is empty; \(rule)" }
        guard name.utf8.count <= maximumLength else {
            return "the credential name is \(name.utf8.count) characters long; \(rule)"
        }
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isNameByte) }) else {
            return "`\(printable(name))` is not a valid credential name; \(rule)"
        }
        return nil
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    /// A hostile name as it may be echoed in a message: control characters escaped, cut at 120.
    static func printable(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars.prefix(120) {
            text += scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return name.unicodeScalars.count > 120 ? text + "…" : text
    }
}
