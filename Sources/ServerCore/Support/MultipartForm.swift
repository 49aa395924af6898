import Foundation

/// The `multipart/form-data` vocabulary (RFC 7578) shared by the compatibility APIs' uploads;
/// ``MultipartReader`` reads a form as it arrives.
package enum MultipartForm {
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

    /// `name` and `filename` from a part's `Content-Disposition: form-data; name="…"; filename="…"`
    /// value, read so that a `;` inside a quoted file name does not split it.
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
