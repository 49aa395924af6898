import Foundation
import HTTPTypes
import Hummingbird
import Sandbox
import ServerCore

/// `/ui/sandboxes/<id>/files?path=/workspace/…`: a sandbox's workspace as a listing (name, type,
/// size, modified) with links into folders, and each file as a download
/// (`/ui/sandboxes/<id>/files/download?path=…`, always `Content-Disposition: attachment` and
/// `application/octet-stream`, so a file is never rendered as a page of this origin). Read
/// through the sandbox's own file API, as `GET /v1/sandboxes/{id}/files` does, a download in a
/// turn of the server's transfer gate.
struct SandboxFilesController: Sendable {
    let dashboard: Dashboard

    /// The folder the browser starts in and may not leave.
    static let root = "/workspace"
    /// The most entries one listing shows: a folder of a hundred thousand files still opens.
    static let maxEntries = 1000

    struct Entry {
        var name: String
        var kind: String
        var isDirectory: Bool
        var size: String
        var modified: String
        /// Into the folder, or the file's download; nil for what is neither (a link, a device).
        var href: String?
    }

    struct Crumb {
        var name: String
        var href: String
    }

    struct Model {
        var chrome: Chrome
        var id: String
        var path: String
        var crumbs: [Crumb]
        var entries: [Entry]
        var empty: Bool
        /// Whether the folder has more than ``maxEntries``, and how many more.
        var truncated: Bool
        var notShown: Int
    }

    func register(on group: RouterGroup<ServerRequestContext>) {
        let dashboard = self.dashboard
        group.get("sandboxes/{id}/files") { request, context -> Response in
            await dashboard.page(request) { visit in
                let service = try dashboard.sandboxService(for: visit)
                let path = try Self.checkedPath(request.uri.queryParameters.get("path"))
                let (id, sandbox) = try await dashboard.liveSandbox(context, visit)
                let listed = try await dashboard.sandboxCall {
                    try await Self.noting(service, id) { try await sandbox.list(path: path) }
                }
                // Folders first, then by name.
                let entries = listed.sorted { ($0.kind == .directory ? 0 : 1, $0.name) < ($1.kind == .directory ? 0 : 1, $1.name) }
                    .prefix(Self.maxEntries).map { Self.entry($0, sandboxID: id) }
                let model = Model(
                    chrome: dashboard.chrome(visit, title: "Files \(path)", current: "sandboxes"), id: id, path: path,
                    crumbs: Self.crumbs(path, sandboxID: id), entries: Array(entries), empty: entries.isEmpty,
                    truncated: listed.count > Self.maxEntries, notShown: max(0, listed.count - Self.maxEntries))
                return dashboard.html(dashboard.resources.render("sandbox-files", model), visit: visit)
            }
        }
        group.get("sandboxes/{id}/files/download") { request, context -> Response in
            await dashboard.page(request) { visit in
                let service = try dashboard.sandboxService(for: visit)
                let path = try Self.checkedPath(request.uri.queryParameters.get("path"))
                guard path != Self.root else { throw DashboardError(.invalidInput, "\(path) is a folder") }
                let (id, sandbox) = try await dashboard.liveSandbox(context, visit)
                let slot = try await dashboard.sandboxCall { try await dashboard.transfers.enter() }
                let download: FileDownload
                do {
                    download = try await dashboard.sandboxCall {
                        try await Self.noting(service, id) { try await sandbox.readFile(FileRead(path: path)) }
                    }
                } catch {
                    slot.release()
                    throw error
                }
                guard download.info.kind == .file else {
                    slot.release()
                    throw DashboardError(.invalidInput, "\(path) is not a file")
                }
                var response = HTTP.download(download, releasing: slot)
                response.headers[.contentDisposition] = Self.attachment(download.info.name.isEmpty ? "download" : download.info.name)
                response.headers[.cacheControl] = "no-store"
                return response
            }
        }
    }

    /// The path asked for, absolute under ``root`` with no `.`/`..` step and no NUL; anything
    /// else is refused (400), never resolved.
    static func checkedPath(_ asked: String?) throws -> String {
        guard let asked, !asked.isEmpty else { return root }
        var path = asked
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let steps = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard path.hasPrefix("/"), !path.contains("\0"), !steps.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
            path == root || path.hasPrefix(root + "/")
        else {
            throw DashboardError(.invalidInput, "the path must be a plain path under \(root) (no . or .. steps), not \(asked)")
        }
        return path
    }

    static func entry(_ info: FileInfo, sandboxID: String) -> Entry {
        let base = "\(Dashboard.root)/sandboxes/\(Dashboard.urlEncoded(sandboxID))/files"
        let href: String?
        switch info.kind {
        case .directory: href = "\(base)?path=\(queryEncoded(info.path))"
        case .file: href = "\(base)/download?path=\(queryEncoded(info.path))"
        case .symlink, .other: href = nil
        }
        let kind: String
        switch info.kind {
        case .directory: kind = "folder"
        case .file: kind = "file"
        case .symlink: kind = "link → \(info.symlinkTarget)"
        case .other: kind = "other"
        }
        let modified = Date(timeIntervalSince1970: Double(info.modifiedNanoseconds) / 1e9)
        return Entry(
            name: info.name, kind: kind, isDirectory: info.kind == .directory, size: info.kind == .file ? Formatting.bytes(info.size) : "",
            modified: Formatting.dateTime(modified), href: href)
    }

    /// `/workspace/a/b` as links to `/workspace`, `/workspace/a`, `/workspace/a/b`.
    static func crumbs(_ path: String, sandboxID: String) -> [Crumb] {
        let base = "\(Dashboard.root)/sandboxes/\(Dashboard.urlEncoded(sandboxID))/files?path="
        var crumbs = [Crumb(name: root, href: base + queryEncoded(root))]
        var current = root
        for step in path.dropFirst(root.count).split(separator: "/") {
            current += "/" + step
            crumbs.append(Crumb(name: String(step), href: base + queryEncoded(current)))
        }
        return crumbs
    }

    /// A query value: everything but unreserved characters and `/` percent-encoded (`&`, `#`, `+` too).
    static func queryEncoded(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `attachment; filename="…"` with an ASCII fallback and the exact name in `filename*` (RFC 6266).
    static func attachment(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(queryEncoded(name).replacingOccurrences(of: "/", with: "%2F"))"
    }

    /// Runs a file operation, letting the service mark the sandbox gone if its container died
    /// (as the native file API does).
    static func noting<T: Sendable>(_ service: SandboxService, _ id: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw await service.noteFailure(error, sandboxID: id)
        }
    }
}
