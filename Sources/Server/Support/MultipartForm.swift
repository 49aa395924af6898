import Foundation

/// One part of a `multipart/form-data` body.
struct MultipartPart: Sendable {
    /// The `name` of the part's Content-Disposition (nil when a client leaves it out).
    var name: String?
    var filename: String?
    var data: [UInt8]
}

/// A `multipart/form-data` reader (RFC 7578) shared by the compatibility APIs' uploads.
///
/// Bodies are parsed whole: every caller has already bounded the body by its route's size
/// limit, and both SDKs send small forms (large files go as streamed octet-stream bodies).
enum MultipartForm {
    /// Why a body is not a well-formed form; each API wraps it in its own error shape.
    struct Malformed: Error, CustomStringConvertible {
        var reason: String
        var description: String { "malformed multipart body: \(reason)" }
    }

    /// The boundary of a `multipart/form-data` content type, or nil when the type is another
    /// one or carries no boundary.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            if !value.isEmpty { return value }
        }
        return nil
    }

    /// The parts of `body`, in order.
    static func parse(_ body: [UInt8], boundary: String) throws(Malformed) -> [MultipartPart] {
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        guard var cursor = find(delimiter, in: body, from: 0) else { throw Malformed(reason: "no opening boundary") }
        cursor += delimiter.count
        var parts: [MultipartPart] = []
        while true {
            // `--` right after a delimiter closes the form.
            if body.count >= cursor + 2, body[cursor] == UInt8(ascii: "-"), body[cursor + 1] == UInt8(ascii: "-") { return parts }
            guard let headersStart = skipLineEnd(body, cursor) else { throw Malformed(reason: "a boundary line does not end") }
            guard let headersEnd = find(Array("\r\n\r\n".utf8), in: body, from: headersStart) else {
                throw Malformed(reason: "a part has no header end")
            }
            let headers = String(decoding: body[headersStart..<headersEnd], as: UTF8.self)
            let dataStart = headersEnd + 4
            guard let dataEnd = find(separator, in: body, from: dataStart) else {
                throw Malformed(reason: "a part has no closing boundary")
            }
            let (name, filename) = disposition(headers)
            parts.append(MultipartPart(name: name, filename: filename, data: Array(body[dataStart..<dataEnd])))
            cursor = dataEnd + separator.count
        }
    }

    static func skipLineEnd(_ body: [UInt8], _ index: Int) -> Int? {
        if index + 1 < body.count, body[index] == 0x0D, body[index + 1] == 0x0A { return index + 2 }
        if index < body.count, body[index] == 0x0A { return index + 1 }
        return nil
    }

    /// `name` and `filename` from the part's `Content-Disposition: form-data; name="…"; filename="…"`.
    static func disposition(_ headers: String) -> (name: String?, filename: String?) {
        for line in headers.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
            let header = line.split(separator: ":", maxSplits: 1)
            guard header.count == 2, header[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else { continue }
            var name: String?
            var filename: String?
            for parameter in quotedAwareSplit(String(header[1])) {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                var value = pair[1].trimmingCharacters(in: .whitespaces)
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                    value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                }
                // Browsers and httpx escape a quote in a file name as %22.
                value = value.replacingOccurrences(of: "%22", with: "\"")
                switch pair[0].trimmingCharacters(in: .whitespaces).lowercased() {
                case "name": name = value
                case "filename": filename = value
                default: break
                }
            }
            return (name, filename)
        }
        return (nil, nil)
    }

    /// Splits on `;` outside double quotes (a file name may contain one).
    static func quotedAwareSplit(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var previous: Character = " "
        for character in text {
            if character == "\"" && previous != "\\" { quoted.toggle() }
            if character == ";" && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        parts.append(current)
        return parts
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
