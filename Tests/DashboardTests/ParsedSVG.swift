import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A drawing parsed back as XML, so tests check elements and attribute values as a browser
/// would see them instead of matching substrings. Parsing fails (and the test with it) when
/// the markup is not well-formed.
final class ParsedSVG {
    final class Element {
        let name: String
        let attributes: [String: String]
        var children: [Element] = []
        var text = ""

        init(name: String, attributes: [String: String]) {
            self.name = name
            self.attributes = attributes
        }

        var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }

        /// This element and everything below it, in document order.
        var descendants: [Element] { [self] + children.flatMap(\.descendants) }

        /// Text of this element and its descendants.
        var allText: String { text + children.map(\.allText).joined() }

        func all(_ name: String) -> [Element] { descendants.filter { $0.name == name } }
        func all(class className: String) -> [Element] { descendants.filter { $0.classes.contains(className) } }
        func child(_ name: String) -> Element? { children.first { $0.name == name } }
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let root: Element

    init(_ markup: String) throws {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw Malformed(description: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root")")
        }
        self.root = root
    }

    private final class TreeBuilder: NSObject, XMLParserDelegate {
        var root: Element?
        private var stack: [Element] = []

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            let element = Element(name: elementName, attributes: attributes)
            if let parent = stack.last { parent.children.append(element) } else { root = element }
            stack.append(element)
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
}

/// Checks every drawing must pass: no inline style and no script (the dashboard's CSP forbids
/// both, so either would be a broken drawing, not just an unsafe one).
func cspSafe(_ markup: String) -> Bool {
    !markup.contains("style=") && !markup.lowercased().contains("<script") && !markup.contains("<style")
}
