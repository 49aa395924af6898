import Foundation

/// Writes SVG markup where every attribute value and every piece of text is XML-escaped by
/// construction: callers hand over raw strings and never concatenate markup themselves, so a
/// step id such as `<img src=x onerror=alert(1)>` can only ever come out as inert text.
///
/// Attribute names and element names are always literals of our own code, never caller data.
struct SVGBuilder {
    typealias Attributes = KeyValuePairs<String, String>

    private(set) var text = ""

    init(reservingCapacity capacity: Int = 4096) {
        text.reserveCapacity(capacity)
    }

    /// `<name a="v" …>`; close it with ``close(_:)``.
    mutating func open(_ name: String, _ attributes: Attributes = [:]) {
        writeStartTag(name, attributes)
        text += ">"
    }

    mutating func close(_ name: String) {
        text += "</"
        text += name
        text += ">"
    }

    /// `<name a="v" …/>`
    mutating func empty(_ name: String, _ attributes: Attributes = [:]) {
        writeStartTag(name, attributes)
        text += "/>"
    }

    /// `<name a="v" …>escaped content</name>`
    mutating func element(_ name: String, _ attributes: Attributes = [:], text content: String) {
        open(name, attributes)
        text += SVGEscaping.escaped(content)
        close(name)
    }

    /// Markup that this module produced itself (a fragment from another builder).
    mutating func appendTrusted(_ markup: String) {
        text += markup
    }

    private mutating func writeStartTag(_ name: String, _ attributes: Attributes) {
        text += "<"
        text += name
        for (key, value) in attributes {
            text += " "
            text += key
            text += "=\""
            text += SVGEscaping.escaped(value)
            text += "\""
        }
    }
}
