import Foundation

/// The `<svg>` element every chart and the timeline share: id, class, a `viewBox` without a
/// fixed size (the page's CSS makes it as wide as its card), and an accessible name.
enum DrawingFrame {
    static func open(_ svg: inout SVGBuilder, id: String, className: String, width: Double, height: Double, label: String) {
        svg.open(
            "svg",
            [
                "xmlns": "http://www.w3.org/2000/svg", "id": id, "class": className,
                "viewBox": "0 0 \(SVGEscaping.number(width)) \(SVGEscaping.number(height))", "role": "img", "aria-label": label,
            ])
    }

    /// A drawing that says there is nothing to draw (class `empty` on the `<svg>` too), so the
    /// page keeps its element and its id whatever the data.
    static func empty(id: String, className: String, width: Double, height: Double, message: String) -> String {
        var svg = SVGBuilder(reservingCapacity: 400)
        open(&svg, id: id, className: className + " empty", width: width, height: height, label: message)
        svg.element(
            "text", ["class": "empty-message", "x": SVGEscaping.number(width / 2), "y": SVGEscaping.number(height / 2), "text-anchor": "middle"],
            text: message)
        svg.close("svg")
        return svg.text
    }

    /// `<line>` from (x1, y1) to (x2, y2).
    static func line(_ svg: inout SVGBuilder, className: String, x1: Double, y1: Double, x2: Double, y2: Double) {
        svg.empty(
            "line",
            [
                "class": className, "x1": SVGEscaping.number(x1), "y1": SVGEscaping.number(y1), "x2": SVGEscaping.number(x2),
                "y2": SVGEscaping.number(y2),
            ])
    }

    /// `<rect>`; a negative or non-finite size (bad data) is drawn as zero rather than making
    /// the browser drop the element with an error.
    static func rect(_ svg: inout SVGBuilder, className: String, x: Double, y: Double, width: Double, height: Double, rounded: Double = 0) {
        let width = width.isFinite ? max(0, width) : 0
        let height = height.isFinite ? max(0, height) : 0
        if rounded > 0 {
            svg.empty(
                "rect",
                [
                    "class": className, "x": SVGEscaping.number(x), "y": SVGEscaping.number(y), "width": SVGEscaping.number(width),
                    "height": SVGEscaping.number(height), "rx": SVGEscaping.number(rounded),
                ])
        } else {
            svg.empty(
                "rect",
                [
                    "class": className, "x": SVGEscaping.number(x), "y": SVGEscaping.number(y), "width": SVGEscaping.number(width),
                    "height": SVGEscaping.number(height),
                ])
        }
    }

    /// `<text>` at (x, y); `anchor` is `start`, `middle` or `end` (a presentation attribute:
    /// where text sits is layout, and CSS would have to repeat it per element).
    static func text(_ svg: inout SVGBuilder, _ content: String, className: String, x: Double, y: Double, anchor: String = "start") {
        if anchor == "start" {
            svg.element("text", ["class": className, "x": SVGEscaping.number(x), "y": SVGEscaping.number(y)], text: content)
        } else {
            svg.element(
                "text", ["class": className, "x": SVGEscaping.number(x), "y": SVGEscaping.number(y), "text-anchor": anchor], text: content)
        }
    }
}
