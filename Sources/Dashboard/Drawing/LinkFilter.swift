import Foundation

/// Which addresses the drawings may turn into links.
enum LinkFilter {
    /// Keeps links the page can follow safely: same-site paths, queries, fragments and
    /// http(s) addresses. Anything else (`javascript:`, `data:`, protocol-relative `//host`)
    /// is dropped and the box is drawn without a link; escaping alone would not make a
    /// `javascript:` address harmless. Control characters refuse the whole address: browsers
    /// strip tabs and newlines from URLs, so `/<tab>/evil.example` would become `//evil.example`.
    static func safeHref(_ href: String) -> String? {
        guard !href.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        let lowered = href.lowercased()
        if lowered.hasPrefix("//") || lowered.hasPrefix("/\\") { return nil }
        if lowered.hasPrefix("/") || lowered.hasPrefix("?") || lowered.hasPrefix("#") { return href }
        if lowered.hasPrefix("https://") || lowered.hasPrefix("http://") { return href }
        return nil
    }
}
