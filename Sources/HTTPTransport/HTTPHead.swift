/// Parsing of a response head read by hand from a raw connection (upgrades), where libcurl's
/// HTTP machinery is bypassed.
enum HTTPHead {
    /// The index just past the `\r\n\r\n` ending the head, or `nil` if it has not arrived yet.
    static func end(in bytes: [UInt8], searchFrom start: Int = 0) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var i = max(start, 0)
        while i + 3 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i + 4 }
            i += 1
        }
        return nil
    }

    /// Parses `HTTP/1.x NNN reason\r\nName: value\r\n…` (the terminating blank line optional).
    static func parse(_ bytes: ArraySlice<UInt8>) -> (status: Int, headers: HTTPHeaders)? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).makeIterator()
        guard let statusLine = lines.next(), statusLine.hasPrefix("HTTP/") else { return nil }
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]), (100...999).contains(status) else { return nil }
        var headers = HTTPHeaders()
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon]
            var value = line[line.index(after: colon)...]
            while value.first == " " || value.first == "\t" { value.removeFirst() }
            while value.last == " " || value.last == "\t" { value.removeLast() }
            headers.add(String(name), String(value))
        }
        return (status, headers)
    }

    /// Decodes a complete chunked body; `nil` if the terminating zero-size chunk is missing.
    static func decodeChunked(_ raw: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        while true {
            guard let lineEnd = findCRLF(raw, from: i) else { return nil }
            let sizeText = String(decoding: raw[i..<lineEnd], as: UTF8.self)
            let hex = sizeText.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(hex.trimmingSpaces, radix: 16), size >= 0 else { return nil }
            i = lineEnd + 2
            if size == 0 { return out }
            guard i + size + 2 <= raw.count else { return nil }
            out.append(contentsOf: raw[i..<(i + size)])
            i += size + 2
        }
    }

    private static func findCRLF(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 13 && bytes[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
