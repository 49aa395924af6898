import Foundation
import HTTPTypes
import Hummingbird

/// A posted form (`application/x-www-form-urlencoded`), read only after the request proved it
/// comes from one of our pages: same origin when the browser says, and the session's CSRF token.
struct FormInput: Sendable {
    var values: [String: String]

    /// The largest form body read (a workflow's input JSON fits; a flood does not).
    static let maxBytes = 256 * 1024

    subscript(_ name: String) -> String? {
        values[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `name`, required; a missing value is a 400 naming the field.
    func required(_ name: String, label: String? = nil) throws -> String {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw DashboardError(.invalidInput, "\(label ?? name) is required")
        }
        return value
    }

    /// Decodes `a=1&b=x%20y` (`+` is a space); NUL bytes are refused, not passed on.
    static func parse(_ text: String) throws -> FormInput {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw DashboardError(.invalidInput, "the form's encoding is broken")
            }
            guard !name.contains("\0"), !value.contains("\0") else { throw DashboardError(.invalidInput, "the form holds a NUL byte") }
            if values[name] == nil { values[name] = value }
        }
        return FormInput(values: values)
    }
}

extension Dashboard {
    /// The form of a POST from one of our pages, or 403: another site's page cannot make a
    /// signed-in browser act (SameSite=Strict keeps the cookie off cross-site posts; the origin
    /// check and the token hold even where it does not).
    func form(_ request: Request, _ visit: Visit) async throws -> FormInput {
        try Self.checkOrigin(request)
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: FormInput.maxBytes)
        } catch {
            throw DashboardError(.invalidInput, "the form is larger than \(FormInput.maxBytes / 1024) KiB")
        }
        let form = try FormInput.parse(String(buffer: buffer))
        guard let token = form["csrf"], Self.constantTimeEqual(token, visit.session.csrfToken) else {
            throw DashboardError(.forbidden, "the form's CSRF token is missing or stale: reload the page and try again")
        }
        return form
    }

    /// A browser names the page's origin in `Origin` on every POST; it must be this server.
    static func checkOrigin(_ request: Request) throws {
        guard let name = HTTPField.Name("Origin"), let origin = request.headers[name] else { return }
        let host = request.head.authority ?? ""
        guard origin == "http://\(host)" || origin == "https://\(host)" else {
            throw DashboardError(.forbidden, "a form from another site (\(origin)) is refused")
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
