import Foundation
import JSONValues

// Reading the providers' JSON without a Codable type per shape: the wire formats have many
// optional members and grow new ones, and a missing member must be a clear error, not a
// decoding failure of the whole body. Names carry a `wire` prefix so they cannot collide with
// accessors JSONValues may grow.

extension JSONValue {
    /// Parses JSON bytes.
    static func wireDecode(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    /// A member of an object; nil for other values and for JSON `null`.
    subscript(wire key: String) -> JSONValue? {
        guard case .object(let members) = self, let value = members[key], value != .null else { return nil }
        return value
    }

    var wireString: String? {
        if case .string(let text) = self { text } else { nil }
    }

    /// Whole numbers, whether the JSON wrote them as `3` or `3.0`.
    var wireInt: Int? {
        switch self {
        case .integer(let value): value
        case .number(let value) where value.rounded() == value && abs(value) < 1e15: Int(value)
        default: nil
        }
    }

    var wireArray: [JSONValue]? {
        if case .array(let items) = self { items } else { nil }
    }

    var wireObject: [String: JSONValue]? {
        if case .object(let members) = self { members } else { nil }
    }

    /// A string member, or nil.
    func wireString(_ key: String) -> String? { self[wire: key]?.wireString }

    /// An integer member, or nil.
    func wireInt(_ key: String) -> Int? { self[wire: key]?.wireInt }

    /// The body bytes of a request.
    var wireBytes: [UInt8] { Array(jsonText.utf8) }
}
