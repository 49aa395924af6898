/// One entry of a step's `credentials:` list: a named credential of the server's vault and
/// the environment variable the step receives it in. Only the steps that declare a credential
/// receive it; a workflow-wide list is refused, so no step gets one by inheritance.
///
/// `- github:default` is received as `GITHUB_DEFAULT` (upper-cased, every other character
/// `_`); `- {name: github:default, env: GITHUB_TOKEN}` names the variable.
public struct CredentialDeclaration: Sendable, Equatable {
    public var name: String
    public var environmentName: String
    public var location: SourceLocation

    public init(name: String, environmentName: String, location: SourceLocation) {
        self.name = name
        self.environmentName = environmentName
        self.location = location
    }

    /// The variable a credential is received in when `env:` is not given.
    public static func defaultEnvironmentName(for name: String) -> String {
        String(
            String.UnicodeScalarView(
                name.uppercased().unicodeScalars.map { scalar in
                    ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) ? scalar : "_"
                }))
    }

    static let nameRule =
        "a credential name is `service:connection` (e.g. `github:default`): lowercase letters, digits, `_`, `.` and `-`, one `:`, at most 100 characters"

    /// Why `name` is not a credential name, or nil. The vault (Store's `CredentialName`) applies
    /// the same rule; a test keeps the two equal.
    public static func nameProblem(_ name: String) -> String? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        let valid =
            name.utf8.count <= 100 && parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty
                    && part.unicodeScalars.allSatisfy {
                        ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "." || $0 == "-"
                    }
            }
        return valid ? nil : "`\(name)` is not a valid credential name: \(nameRule)"
    }
}
