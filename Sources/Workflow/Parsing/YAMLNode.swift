/// A YAML node with its position, detached from Yams so the rest of the module (and its
/// callers) never touch the parser's types.
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(Scalar)
        case sequence([YAMLNode])
        case mapping([Pair])
    }

    /// A scalar as written, with the type YAML 1.2's core schema gives it.
    public struct Scalar: Sendable {
        public enum Style: Sendable { case plain, singleQuoted, doubleQuoted, literal, folded }
        public var text: String
        public var style: Style
        /// The typed value: quoted scalars are always strings; plain ones may be null, bool, int or float.
        public var value: JSONValue
    }

    public struct Pair: Sendable {
        public var key: YAMLNode
        public var value: YAMLNode
    }

    public var content: Content
    public var location: SourceLocation

    /// The type name used in "expected X, found Y" messages.
    public var typeName: String {
        switch content {
        case .scalar(let scalar): scalar.value.typeName
        case .sequence: "list"
        case .mapping: "mapping"
        }
    }

    public var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    /// The node as a JSON-like value (mapping keys become strings).
    public var jsonValue: JSONValue {
        switch content {
        case .scalar(let scalar): scalar.value
        case .sequence(let items): .array(items.map(\.jsonValue))
        case .mapping(let pairs):
            .object(
                Dictionary(
                    pairs.map { ($0.key.scalar?.text ?? "", $0.value.jsonValue) },
                    uniquingKeysWith: { _, last in last }))
        }
    }

    /// Types a plain scalar as YAML 1.2's core schema does. Unlike YAML 1.1 (Yams' default),
    /// `yes`, `no`, `on` and `off` stay strings, so `on_failure: no` cannot turn into `false`.
    static func coreSchemaValue(plain text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        case ".nan", ".NaN", ".NAN": return .number(.nan)
        default: break
        }
        if text.hasPrefix("0x"), let value = Int(text.dropFirst(2), radix: 16) { return .integer(value) }
        if text.hasPrefix("0o"), let value = Int(text.dropFirst(2), radix: 8) { return .integer(value) }
        if isDecimalInteger(text), let value = Int(text) { return .integer(value) }
        if isFloat(text), let value = Double(text) { return .number(value) }
        return .string(text)
    }

    private static func isDecimalInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if let first = digits.first, first == "-" || first == "+" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.allSatisfy(\.isASCIIDigit)
    }

    /// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
    private static func isFloat(_ text: String) -> Bool {
        var rest = Substring(text)
        if let first = rest.first, first == "-" || first == "+" { rest = rest.dropFirst() }
        let mantissaEnd = rest.firstIndex(where: { $0 == "e" || $0 == "E" }) ?? rest.endIndex
        let mantissa = rest[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
            parts.contains(where: { !$0.isEmpty })
        else { return false }
        if parts.count == 2 && parts[1].isEmpty && parts[0].isEmpty { return false }
        guard mantissaEnd != rest.endIndex else { return true }
        var exponent = rest[rest.index(after: mantissaEnd)...]
        if let first = exponent.first, first == "-" || first == "+" { exponent = exponent.dropFirst() }
        return !exponent.isEmpty && exponent.allSatisfy(\.isASCIIDigit)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
