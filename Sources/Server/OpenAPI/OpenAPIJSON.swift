import Foundation
import ServerCore

extension OpenAPI {
    /// A JSON value: the form an OpenAPI document is assembled in before it is rendered.
    ///
    /// A tree of our own rather than `[String: Any]` so the document is `Sendable` and can be a
    /// `static let`, and rendering cannot fail.
    indirect enum JSON: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case number(Double)
        case boolean(Bool)
        case array([JSON])
        case object([String: JSON])

        /// Pretty-printed with sorted keys, so the same document always renders to the same bytes
        /// and a change to the API reads as a small diff of `/openapi.json`.
        func rendered() -> String {
            var out = ""
            write(to: &out, depth: 0)
            return out
        }

        /// A JSON string literal, by Foundation's encoder (`/` left as is, as the document always had it).
        private static func literal(_ text: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            // A string always encodes.
            guard let data = try? encoder.encode(text) else { return "\"\"" }
            return String(decoding: data, as: UTF8.self)
        }

        private func write(to out: inout String, depth: Int) {
            // One space a level keeps a long document compact; it is also the layout the document
            // had when it was written by hand, so generating it left the served bytes unchanged.
            func newline(_ depth: Int) { out += "\n" + String(repeating: " ", count: depth) }
            switch self {
            case .string(let text): out += Self.literal(text)
            case .integer(let number): out += String(number)
            case .number(let number): out += String(number)
            case .boolean(let flag): out += flag ? "true" : "false"
            case .array(let items) where items.isEmpty: out += "[]"
            case .object(let members) where members.isEmpty: out += "{}"
            case .array(let items):
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += "," }
                    newline(depth + 1)
                    item.write(to: &out, depth: depth + 1)
                }
                newline(depth)
                out += "]"
            case .object(let members):
                out += "{"
                for (index, key) in members.keys.sorted().enumerated() {
                    if index > 0 { out += "," }
                    newline(depth + 1)
                    out += Self.literal(key) + ": "
                    members[key]?.write(to: &out, depth: depth + 1)
                }
                newline(depth)
                out += "}"
            }
        }
    }
}

extension OpenAPI.JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .integer(value) }
    init(booleanLiteral value: Bool) { self = .boolean(value) }
    init(arrayLiteral elements: OpenAPI.JSON...) { self = .array(elements) }
    /// A repeated key keeps its last value instead of trapping as a `Dictionary` literal would.
    init(dictionaryLiteral elements: (String, OpenAPI.JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
