/// JSON Pointers (RFC 6901): where a violation is in the instance, where a keyword is in the
/// schema, and what a local `$ref` names.
public enum JSONPointer {
    /// `a/b` → `a~1b`, `m~n` → `m~0n`: one reference token.
    public static func escape(_ token: String) -> String {
        guard token.contains("~") || token.contains("/") else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// The pointer's tokens, unescaped; nil when it is not a pointer (non-empty and not
    /// starting with `/`, or a `~` not followed by `0` or `1`).
    public static func tokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        var result: [String] = []
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var pendingTilde = false
            for character in raw {
                if pendingTilde {
                    switch character {
                    case "0": token.append("~")
                    case "1": token.append("/")
                    default: return nil
                    }
                    pendingTilde = false
                } else if character == "~" {
                    pendingTilde = true
                } else {
                    token.append(character)
                }
            }
            if pendingTilde { return nil }
            result.append(token)
        }
        return result
    }

    /// How a pointer reads in a message: the root is `(root)`, everything else as it is.
    static func display(_ pointer: String) -> String {
        pointer.isEmpty ? "(root)" : pointer
    }
}

/// A location being built up while walking a document; cheap to extend, rendered on demand.
struct PointerPath: Sendable {
    private(set) var rendered: String = ""

    func appending(_ token: String) -> PointerPath {
        var copy = self
        copy.rendered += "/" + JSONPointer.escape(token)
        return copy
    }

    func appending(_ index: Int) -> PointerPath {
        var copy = self
        copy.rendered += "/" + String(index)
        return copy
    }
}
