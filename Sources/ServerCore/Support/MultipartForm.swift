import Foundation
import MultipartKit

/// One part of a `multipart/form-data` body.
package struct MultipartPart: Sendable {
    /// The `name` of the part's Content-Disposition (nil when a client leaves it out).
    package var name: String?
    package var filename: String?
    package var data: [UInt8] = []
}

/// The `multipart/form-data` reading (RFC 7578) shared by the compatibility APIs' uploads.
///
/// MultipartKit's `MultipartParser` does the parsing. It is a streaming parser (headers and
/// body chunks arrive through callbacks), so uploads can later be streamed part by part;
/// today every caller has bounded the body by its route's size limit and hands it over whole.
package enum MultipartForm {
    /// Why a body is not a well-formed form; each API wraps it in its own error shape.
    package struct Malformed: Error, CustomStringConvertible {
        var reason: String
        package var description: String { "malformed multipart body: \(reason)" }
    }

    /// The boundary of a `multipart/form-data` content type, or nil when the type is another
    /// one or carries no boundary.
    package static func boundary(contentType: String?) -> String? {
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
    package static func parse(_ body: [UInt8], boundary: String) throws(Malformed) -> [MultipartPart] {
        // MultipartParser traps on an empty boundary.
        guard !boundary.isEmpty else { throw Malformed(reason: "the boundary is empty") }
        let parser = MultipartParser(boundary: boundary)
        var parts: [MultipartPart] = []
        var current = MultipartPart()
        var partOpen = false
        parser.onHeader = { name, value in
            partOpen = true
            if name.lowercased() == "content-disposition" { (current.name, current.filename) = disposition(value) }
        }
        parser.onBody = { chunk in
            partOpen = true
            current.data.append(contentsOf: chunk.readableBytesView)
        }
        parser.onPartComplete = {
            parts.append(current)
            current = MultipartPart()
            partOpen = false
        }
        do {
            try parser.execute(body)
        } catch {
            throw Malformed(reason: "a boundary line or part header is not well-formed")
        }
        if partOpen { throw Malformed(reason: "a part has no closing boundary") }
        // The parser waits for more input rather than fail on a body that stops short; the form
        // is whole once its close delimiter came (a boundary never occurs inside the content).
        guard body.firstRange(of: Array("\r\n--\(boundary)--".utf8)) != nil else {
            throw Malformed(reason: parts.isEmpty ? "no opening boundary" : "the form has no closing boundary")
        }
        return parts
    }

    /// `name` and `filename` from a part's `Content-Disposition: form-data; name="…"; filename="…"`
    /// value. MultipartKit's own reading splits at every `;`, also inside a quoted file name.
    static func disposition(_ value: String) -> (name: String?, filename: String?) {
        var name: String?
        var filename: String?
        for parameter in quotedAwareSplit(value) {
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
}
