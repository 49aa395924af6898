import Foundation
import Testing

@testable import Dashboard

/// The pages' Content-Security-Policy forbids inline script and inline style, so a template that
/// used either would be silently broken in the browser: every template is checked for what the
/// policy would block, and every POST form for its CSRF field.
struct TemplateCSPTests {
    static func templates() throws -> [(name: String, text: String)] {
        let folder = try DashboardResources.load().folder + "/templates"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".mustache") }.sorted()
        return try names.map { ($0, try String(contentsOfFile: folder + "/" + $0, encoding: .utf8)) }
    }

    static func matches(_ text: String, _ pattern: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return ["bad pattern \(pattern)"] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range, in: text).map { String(text[$0]) } }
    }

    @Test func noTemplateHoldsWhatThePolicyBlocks() throws {
        let templates = try Self.templates()
        #expect(templates.count >= 10, "the templates were found: \(templates.map(\.name))")
        for (name, text) in templates {
            #expect(Self.matches(text, #"\sstyle\s*="#).isEmpty, "\(name): an inline style attribute")
            #expect(Self.matches(text, #"<style"#).isEmpty, "\(name): a style element")
            #expect(Self.matches(text, #"\son[a-z]+\s*="#).isEmpty, "\(name): an event-handler attribute")
            #expect(Self.matches(text, #"<script(?![^>]*\ssrc=)[^>]*>"#).isEmpty, "\(name): an inline script")
            #expect(Self.matches(text, #"javascript:"#).isEmpty, "\(name): a javascript: address")
        }
    }

    @Test func everyPostFormCarriesTheCSRFToken() throws {
        for (name, text) in try Self.templates() {
            // Each POST form up to its end; the sign-in form is the one made before a session exists.
            for form in Self.matches(text, #"<form[^>]*method="post"[\s\S]*?</form>"#) where !form.contains(#"id="login""#) {
                // `{{chrome.csrf}}` in a page; a fragment sent alone (a live row) names its own `{{csrf}}`.
                #expect(
                    !Self.matches(form, #"name="csrf" value="\{\{(chrome\.)?csrf\}\}""#).isEmpty, "\(name): a POST form without the token: \(form.prefix(120))")
            }
        }
    }
}
