/// Cutting tool output down to what the model (or an event) may hold, saying so when it happens.
public enum OutputCap {
    /// The note the model reads after a cut.
    public static func note(totalBytes: UInt64) -> String {
        "[output truncated: \(totalBytes) bytes total; use offset/limit or head to see the rest]"
    }

    /// `text` cut to `maxCharacters` with the note appended; unchanged when it fits.
    public static func limit(_ text: String, maxCharacters: Int) -> String {
        guard text.count > maxCharacters else { return text }
        // Make room for the note inside the limit, so the model never gets more than it.
        let note = "\n" + note(totalBytes: UInt64(text.utf8.count))
        let keep = max(0, maxCharacters - note.count)
        return String(text.prefix(keep)) + note
    }

    /// The longest prefix of `bytes` of at most `maxBytes` that ends on a UTF-8 character boundary.
    static func utf8Prefix(_ bytes: some Collection<UInt8>, maxBytes: Int) -> [UInt8] {
        guard bytes.count > maxBytes else { return Array(bytes) }
        var prefix = Array(bytes.prefix(maxBytes))
        // Drop a trailing partial sequence: back up over continuation bytes to the lead byte and
        // keep it only if its whole sequence fits.
        var index = prefix.count - 1
        while index >= 0, prefix[index] & 0xC0 == 0x80 { index -= 1 }
        if index >= 0 {
            let lead = prefix[index]
            let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
            if index + length > prefix.count { prefix.removeSubrange(index...) }
        }
        return prefix
    }

    /// The first `maxBytes` bytes of `text` (on a character boundary), for events.
    static func eventPreview(_ text: String, maxBytes: Int) -> String {
        guard text.utf8.count > maxBytes else { return text }
        return String(decoding: utf8Prefix(text.utf8, maxBytes: maxBytes), as: UTF8.self) + "…"
    }
}
