import JSONValues

/// A `tools/call` result's content blocks as the text a model reads.
enum MCPContent {
    /// Text blocks as they are; images, audio and binary resources as a one-line note (the
    /// model cannot see them through a text result); embedded text resources with their URI.
    /// A result with no content but `structuredContent` gives that as JSON.
    static func text(of result: JSONValue) -> String {
        var parts: [String] = []
        if case .array(let blocks)? = result.child("content") {
            for block in blocks { parts.append(text(ofBlock: block)) }
        }
        if parts.isEmpty, let structured = result.child("structuredContent"), structured != .null {
            parts.append(structured.jsonText)
        }
        return parts.joined(separator: "\n")
    }

    static func text(ofBlock block: JSONValue) -> String {
        let type = block.child("type")?.stringValue ?? ""
        switch type {
        case "text":
            return block.child("text")?.stringValue ?? ""
        case "image", "audio":
            let mime = block.child("mimeType")?.stringValue ?? "unknown type"
            let size = (block.child("data")?.stringValue?.utf8.count ?? 0) * 3 / 4
            return "[\(type): \(mime), about \(size) bytes, not shown]"
        case "resource":
            let resource = block.child("resource")
            let uri = resource?.child("uri")?.stringValue ?? "?"
            if let text = resource?.child("text")?.stringValue { return "[resource \(uri)]\n" + text }
            let mime = resource?.child("mimeType")?.stringValue ?? "unknown type"
            return "[resource \(uri): \(mime), binary, not shown]"
        case "resource_link":
            let uri = block.child("uri")?.stringValue ?? "?"
            let name = block.child("name")?.stringValue.map { " (\($0))" } ?? ""
            return "[resource link \(uri)\(name)]"
        default:
            return block.jsonText
        }
    }
}
