import Foundation
import Testing

@testable import Dashboard

/// The sandbox pages' parts that need no server: the terminal page with and without the vendored
/// xterm.js, the files browser's path rule, the download's header, sizes.
struct SandboxPagesRenderingTests {
    static func chrome() -> Chrome {
        Chrome(
            title: "Terminal", theme: nil, nextTheme: "dark", csrf: "token", nav: [], who: "admin", canSignOut: true, stream: nil,
            location: "/ui/sandboxes/sb1/terminal")
    }

    @Test func theTerminalPageSaysHowToBuildXtermWhenItIsMissing() throws {
        let resources = try DashboardResources.load(environment: ["SANDCASTLE_UI_ASSETS": "/nonexistent-\(UUID().uuidString)"])
        #expect(resources.vendorFolder == nil)
        #expect(!SandboxTerminalController.vendorReady(resources))
        let html = resources.render(
            "sandbox-terminal",
            SandboxTerminalController.Model(chrome: Self.chrome(), id: "sb1", socket: SandboxTerminalController.socketPath("sb1"), ready: false))
        #expect(html.contains(#"<div id="terminal" data-socket="/ui/sandboxes/sb1/terminal/ws""#))
        #expect(html.contains(#"id="terminal-missing""#) && html.contains("scripts/ui-assets"), "\(html)")
        #expect(!html.contains("/ui/vendor/xterm.js"), "no script that would 404")
    }

    @Test func theTerminalPageLoadsXtermAndItsScriptWhenBuilt() throws {
        let vendor = FileManager.default.temporaryDirectory.appendingPathComponent("sc-vendor-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: vendor, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: vendor) }
        try "window.Terminal = function () {};".write(toFile: vendor + "/xterm.js", atomically: true, encoding: .utf8)
        let resources = try DashboardResources.load(environment: ["SANDCASTLE_UI_ASSETS": vendor])
        #expect(!SandboxTerminalController.vendorReady(resources), "the CSS is missing yet")
        try ".xterm {}".write(toFile: vendor + "/xterm.css", atomically: true, encoding: .utf8)
        #expect(SandboxTerminalController.vendorReady(resources))
        let html = resources.render(
            "sandbox-terminal",
            SandboxTerminalController.Model(
                chrome: Self.chrome(), id: "<b>x</b>", socket: SandboxTerminalController.socketPath("<b>x</b>"), ready: true))
        #expect(html.contains(#"<script src="/ui/vendor/xterm.js" defer></script>"#))
        #expect(html.contains(#"<script src="/ui/static/terminal.js" defer></script>"#))
        #expect(html.contains(#"<link rel="stylesheet" href="/ui/vendor/xterm.css">"#))
        #expect(!html.contains("terminal-missing"))
        #expect(html.contains("&lt;b&gt;x&lt;/b&gt;") && !html.contains("<b>x</b>"), "an id is text")
        #expect(resources.file("terminal.js", vendor: false) != nil && resources.file("sandboxes.js", vendor: false) != nil)
    }

    @Test func theFilesPathStaysAPlainPathUnderTheWorkspace() throws {
        #expect(try SandboxFilesController.checkedPath(nil) == "/workspace")
        #expect(try SandboxFilesController.checkedPath("/workspace/") == "/workspace")
        #expect(try SandboxFilesController.checkedPath("/workspace/a b/c.txt") == "/workspace/a b/c.txt")
        for bad in [
            "/workspace/..", "/workspace/../etc", "/workspace/a/../../x", "/workspace/./a", "/workspace//a", "/etc/passwd", "/workspacex", "workspace/a",
            "/workspace/a\0b",
        ] {
            #expect(throws: DashboardError.self, "\(bad)") { try SandboxFilesController.checkedPath(bad) }
        }
    }

    @Test func downloadsAreAttachmentsWithASafeName() {
        #expect(SandboxFilesController.attachment("notes.txt") == #"attachment; filename="notes.txt"; filename*=UTF-8''notes.txt"#)
        let odd = SandboxFilesController.attachment("a\"b\\c ü.html")
        #expect(odd.hasPrefix(#"attachment; filename="a_b_c _.html"; filename*=UTF-8''a%22b%5Cc%20%C3%BC.html"#), "\(odd)")
    }

    @Test func sizesAndUsageReadShort() {
        #expect(Formatting.bytes(5) == "5 B")
        #expect(Formatting.bytes(1536) == "1.5 KiB")
        #expect(Formatting.bytes(3 * 1_048_576) == "3.0 MiB")
        #expect(SandboxRows.memory(3 * 1_048_576, limit: 512 * 1_048_576) == "3.0 MiB / 512.0 MiB")
        #expect(SandboxRows.memory(1024, limit: 0) == "1.0 KiB")
    }
}
