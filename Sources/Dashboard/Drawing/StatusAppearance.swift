import Foundation

/// How a step or run status looks in a drawing: a CSS class (for colour) and a glyph, so the
/// status never rests on colour alone (colour-blind readers, grey-scale prints, screenshots).
///
/// Statuses are the store's raw values (`StepStatus`, `RunStatus`); this file does not import
/// the store, and an unknown value still draws, with `?`.
struct StatusAppearance: Equatable {
    /// `status-<token>`, safe as a class name whatever the status text was.
    let className: String
    /// One character drawn next to the label. Plain text symbols, not emoji: emoji presentation
    /// would bring a colour font and a different width on every platform.
    let glyph: String

    init(status: String) {
        className = "status-" + SVGEscaping.classToken(status)
        glyph = Self.glyphs[status] ?? "?"
    }

    private static let glyphs: [String: String] = [
        "pending": "○",
        "running": "◐",
        "waiting_approval": "‖",
        "completed": "✓",
        "succeeded": "✓",
        "failed": "✗",
        "skipped": "↷",
        "cancelled": "⊘",
        "budget_exceeded": "$",
    ]
}
