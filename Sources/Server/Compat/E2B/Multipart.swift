import Foundation

/// A `multipart/form-data` body split into its parts (RFC 7578), enough for envd uploads:
/// each part's `name`, `filename` and content.
struct MultipartForm {
    struct Part {
        var name: String?
        var filename: String?
        var content: ArraySlice<UInt8>
    }

    var parts: [Part]

    /// The boundary parameter of a `multipart/form-data` content type.
    static func boundary(contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Parses the body; nil when it is not a well-formed form with this boundary.
    init?(body: [UInt8], boundary: String) {
        let delimiter = Array("--\(boundary)".utf8)
        guard var index = Self.find(delimiter, in: body, from: 0) else { return nil }
        var parts: [Part] = []
        let separator = Array("\r\n\r\n".utf8)
        let next = Array("\r\n--\(boundary)".utf8)
        while true {
            index += delimiter.count
            // `--` after a delimiter closes the form.
            if body.count >= index + 2, body[index] == UInt8(ascii: "-"), body[index + 1] == UInt8(ascii: "-") { break }
            guard let headerEnd = Self.find(separator, in: body, from: index) else { return nil }
            let headerText = String(decoding: body[index..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + separator.count
            guard let contentEnd = Self.find(next, in: body, from: contentStart) else { return nil }
            var part = Part(content: body[contentStart..<contentEnd])
            for line in headerText.split(whereSeparator: \.isNewline) {
                let pieces = line.split(separator: ":", maxSplits: 1)
                guard pieces.count == 2, pieces[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-disposition" else { continue }
                part.name = Self.parameter("name", in: String(pieces[1]))
                part.filename = Self.parameter("filename", in: String(pieces[1]))
            }
            parts.append(part)
            index = contentEnd + 2
        }
        self.parts = parts
    }

    /// `name="value"` inside a Content-Disposition value.
    static func parameter(_ name: String, in disposition: String) -> String? {
        for piece in disposition.split(separator: ";") {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == name else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var index = start
        while index <= haystack.count - needle.count {
            if haystack[index] == first, haystack[index..<index + needle.count].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
