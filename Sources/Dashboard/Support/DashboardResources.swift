import Foundation
import Mustache

/// The dashboard's own files (templates, CSS, JS) and the browser libraries built from Debian's
/// packages at setup. Found without `Bundle.module`, whose accessor stops the process when the
/// resource folder is missing: a server whose dashboard files are gone still serves every API,
/// and its `/ui` says what is missing.
public struct DashboardResources: Sendable {
    /// The folder holding `templates/` and `static/`.
    public let folder: String
    /// Where `scripts/ui-assets` put the vendored browser libraries (xterm.js); nil: not built.
    public let vendorFolder: String?
    let library: MustacheLibrary

    /// The resource folder's name next to the executable, as SwiftPM copies it.
    static let bundleName = "sandcastle_Dashboard.resources"

    /// Loads the templates from `folder`, or from the first place they are found:
    /// `SANDCASTLE_UI_RESOURCES`, the bundle next to the executable, the source tree.
    ///
    /// - Throws: ``DashboardError`` `.resourcesMissing` naming the places looked in, or
    ///   `.templateInvalid` naming the template that does not parse.
    public static func load(folder: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> DashboardResources
    {
        let candidates = folder.map { [$0] } ?? Self.candidates(environment)
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/templates/layout.mustache") }) else {
            throw DashboardError(.resourcesMissing, "the dashboard's templates are not in any of: \(candidates.joined(separator: ", "))")
        }
        var library = MustacheLibrary()
        let templates = found + "/templates"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: templates)) ?? []).filter { $0.hasSuffix(".mustache") }.sorted()
        for name in names {
            let text = try String(contentsOfFile: templates + "/" + name, encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw DashboardError(.templateInvalid, "template \(name): \(error)")
            }
        }
        let vendor = environment["SANDCASTLE_UI_ASSETS"] ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache/sandcastle/ui-assets")
        return DashboardResources(
            folder: found, vendorFolder: FileManager.default.fileExists(atPath: vendor) ? vendor : nil, library: library)
    }

    static func candidates(_ environment: [String: String]) -> [String] {
        var places: [String] = []
        if let explicit = environment["SANDCASTLE_UI_RESOURCES"], !explicit.isEmpty { places.append(explicit) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        places.append(executable.appendingPathComponent(bundleName).appendingPathComponent("Resources").path)
        // A development build run from anywhere: the sources this file was compiled from.
        places.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Resources").path)
        return places
    }

    /// `name` rendered over `context`; a missing template is a programming error reported as text.
    func render(_ name: String, _ context: Any) -> String {
        library.render(context, withTemplate: name) ?? "<p class=\"error\">missing template \(name)</p>"
    }

    /// The bytes of a static file under `static/` (ours) or the vendor folder; nil when there is
    /// no such file or the name tries to leave the folder.
    func file(_ name: String, vendor: Bool) -> Data? {
        guard let base = vendor ? vendorFolder : folder + "/static", Self.isPlainName(name) else { return nil }
        return FileManager.default.contents(atPath: base + "/" + name)
    }

    /// A file name of letters, digits, `-`, `_` and dots, not starting with a dot: no way out of the folder.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }
}
