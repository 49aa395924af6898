import Foundation
import Hummingbird
import JSONValues
import ServerCore

/// What `/api` accepts as a JSON body, checked before any field is read: at most
/// ``SandcastleAPIController/maxBodyBytes`` (413), valid UTF-8, JSON nested at most
/// ``maxBodyDepth`` levels (so no parser recursion depends on the client), and Sandcastle's caps
/// on its JSON-object fields (`input`, `input_data`, `changes`, `edited_data`, `notify`): nesting
/// depth 20 and 1 MiB serialized, 422 `VALIDATION_ERROR` naming the field (`details.field`).
enum SandcastleRequestLimits {
    /// The fields Sandcastle caps (`schemas.py`).
    static let cappedFields = ["input", "input_data", "changes", "edited_data", "notify"]
    /// The whole body's nesting: a field 20 deep plus the body around it (a fork's
    /// `changes.env` adds a level of its own). Deeper is refused before parsing, naming the
    /// top-level field that holds it.
    static let maxBodyDepth = SandcastleAPIController.maxInputDepth + 2

    /// The body as a JSON object; `allowEmpty` reads an empty (or blank) body as `{}`.
    static func object(_ bytes: [UInt8], allowEmpty: Bool = false) throws -> [String: JSONValue] {
        if allowEmpty && bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "the body is not valid UTF-8")
        }
        let (depth, deepField) = nesting(bytes)
        guard depth <= maxBodyDepth else {
            let field = deepField.map { "`\($0)`" } ?? "the body"
            throw SandcastleAPIError(
                .unprocessableContent, "VALIDATION_ERROR",
                "\(field) is nested more than \(SandcastleAPIController.maxInputDepth) levels deep; at most that many are accepted",
                field: deepField)
        }
        guard let value = JSONValue.parse(json: text) else {
            throw SandcastleAPIError(
                .unprocessableContent, "VALIDATION_ERROR", "the body is not valid JSON (numbers must fit a 64-bit float; no NaN or Infinity)")
        }
        guard case .object(let members) = value else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "the body must be a JSON object")
        }
        for field in cappedFields {
            guard let value = members[field], value != .null else { continue }
            let levels = SandcastleAPIController.depth(value)
            if levels > SandcastleAPIController.maxInputDepth {
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR",
                    "`\(field)` is nested \(levels) levels deep; at most \(SandcastleAPIController.maxInputDepth) are accepted", field: field)
            }
            let size = value.jsonText.utf8.count
            if size > SandcastleAPIController.maxInputBytes {
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR",
                    "`\(field)` is \(size) bytes as JSON; at most \(SandcastleAPIController.maxInputBytes) are accepted", field: field)
            }
        }
        return members
    }

    /// The deepest nesting of `[` and `{` outside strings, counted without parsing, and the
    /// top-level field that holds it (nil when the body is not an object).
    static func nesting(_ bytes: [UInt8]) -> (depth: Int, field: String?) {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        var stringStart = 0
        var lastTopLevelString: Range<Int>?
        var field: Range<Int>?
        var deepestField: Range<Int>?
        for (index, byte) in bytes.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 1 { lastTopLevelString = stringStart..<index }
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                stringStart = index + 1
            case UInt8(ascii: ":") where depth == 1: field = lastTopLevelString
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > deepest {
                    deepest = depth
                    deepestField = field
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return (deepest, deepestField.map { String(decoding: bytes[$0].prefix(64), as: UTF8.self) })
    }
}
