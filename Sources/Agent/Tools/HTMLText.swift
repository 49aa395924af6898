/// A web page's readable text: tags dropped, scripts and styles removed, block elements on their
/// own lines, headings marked `#`, list items `-`, entities decoded, whitespace folded.
/// Deliberately small: the model reads the result, it does not need a browser's fidelity.
enum HTMLText {
    private static let skipped: Set<String> = ["script", "style", "noscript", "template", "svg", "iframe", "object"]
    private static let blocks: Set<String> = [
        "p", "div", "br", "hr", "tr", "table", "section", "article", "header", "footer", "nav", "main", "aside",
        "ul", "ol", "pre", "blockquote", "form", "title", "dd", "dt", "figure", "figcaption", "body", "html",
    ]

    static func extract(_ html: String) -> String {
        var out = ""
        var rest = html[...]
        var skipping: String?
        while let first = rest.first {
            if first == "<" {
                if rest.hasPrefix("<!--") {
                    rest = rest.dropFirst(4)
                    rest = rest.firstRange(of: "-->").map { rest[$0.upperBound...] } ?? rest[rest.endIndex...]
                    continue
                }
                guard let close = rest.firstIndex(of: ">") else { break }
                let tag = rest[rest.index(after: rest.startIndex)..<close]
                rest = rest[rest.index(after: close)...]
                let (name, closing) = tagName(tag)
                if let open = skipping {
                    if closing && name == open { skipping = nil }
                    continue
                }
                if skipped.contains(name) && !closing && tag.last != "/" {
                    skipping = name
                    continue
                }
                if name.count == 2, name.first == "h", let level = Int(String(name.dropFirst())), (1...6).contains(level) {
                    out += closing ? "\n\n" : "\n\n" + String(repeating: "#", count: level) + " "
                } else if name == "li" {
                    if !closing { out += "\n- " }
                } else if name == "td" || name == "th" {
                    if !closing { out += " | " }
                } else if blocks.contains(name) {
                    out += "\n"
                }
                continue
            }
            let next = rest.firstIndex(of: "<") ?? rest.endIndex
            if skipping == nil { out += decodeEntities(String(rest[..<next])) }
            rest = rest[next...]
        }
        return fold(out)
    }

    private static func tagName(_ tag: Substring) -> (String, Bool) {
        var text = tag
        let closing = text.hasPrefix("/")
        if closing { text = text.dropFirst() }
        let name = text.prefix { $0.isLetter || $0.isNumber }.lowercased()
        return (name, closing)
    }

    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–",
        "hellip": "…", "copy": "©", "reg": "®", "laquo": "«", "raquo": "»", "rsquo": "’", "lsquo": "‘",
        "rdquo": "”", "ldquo": "“",
    ]

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semicolon = after.prefix(12).firstIndex(of: ";") {
                let entity = after[..<semicolon]
                if let decoded = decode(entity) {
                    out += decoded
                    rest = after[after.index(after: semicolon)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        return out + rest
    }

    private static func decode(_ entity: Substring) -> String? {
        if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
            return UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
        if entity.hasPrefix("#") {
            return UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
        return named[String(entity)]
    }

    /// Runs of blanks become one space, lines are trimmed, and at most one empty line separates blocks.
    private static func fold(_ text: String) -> String {
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\u{A0}" })
            let line = words.joined(separator: " ")
            if line.isEmpty && (lines.last?.isEmpty ?? true) { continue }
            lines.append(line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
