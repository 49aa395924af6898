import Foundation
import Sandbox
import ServerCore

/// One row of `/ui/sandboxes` (`templates/sandbox-rows.mustache`).
struct SandboxRow: Sendable {
    var id: String
    var image: String
    var profile: String
    var state: String
    var isLive: Bool
    var reason: String?
    var age: String
    var created: String
    var expires: String
    var cpu: String
    var memory: String
    var pids: String
    /// The delete button's question (the app's `data-confirm`).
    var confirm: String
}

/// The rows of the sandboxes page: the service's list, with live usage from the host.
enum SandboxRows {
    /// How long a page waits for the host's usage figures: Docker samples a container for about a
    /// second before it answers, so all are asked at once and a slow one shows "—" instead of
    /// holding the page.
    static let statsDeadline: Duration = .milliseconds(2500)
    /// The most sandboxes listed on one page (the service's own page limit is 500).
    static let limit = 200
    /// The most live sandboxes whose usage one page asks the host for.
    static let maxStats = 50

    /// `live` lists sandboxes in use (creating, running); otherwise every recorded one, newest first.
    static func load(_ service: SandboxService, live: Bool, now: Date = Date()) async throws -> [SandboxRow] {
        let page = try await service.list(status: live ? "creating,running" : nil, image: nil, limit: limit, cursor: nil, keyID: nil)
        let liveIDs = page.sandboxes.filter { $0.status == "running" }.prefix(maxStats).map(\.id)
        let usage = await stats(of: Array(liveIDs), service: service, within: statsDeadline)
        return page.sandboxes.map { row($0, stats: usage[$0.id], now: now) }
    }

    static func row(_ view: SandboxView, stats: SandboxStats?, now: Date) -> SandboxRow {
        let created = parse(view.createdAt)
        let live = view.status == "running" || view.status == "creating"
        return SandboxRow(
            id: view.id, image: view.image, profile: view.profile, state: view.status, isLive: live, reason: view.statusReason,
            age: created.map { Formatting.duration(($0, now)) } ?? "—", created: created.map(Formatting.dateTime) ?? view.createdAt,
            expires: view.expiresAt.flatMap(parse).map(Formatting.dateTime) ?? "—",
            cpu: stats.map { String(format: "%.1f %%", $0.cpuPercent) } ?? "—",
            memory: stats.map { memory($0.memoryBytes, limit: $0.memoryLimitBytes) } ?? "—",
            pids: stats.map { String($0.pids) } ?? "—",
            confirm: "Delete sandbox \(view.id)? Its processes are killed and its files are gone.")
    }

    /// `12.3 MiB / 512 MiB`.
    static func memory(_ bytes: UInt64, limit: UInt64) -> String {
        let used = Formatting.bytes(bytes)
        return limit > 0 ? "\(used) / \(Formatting.bytes(limit))" : used
    }

    static func parse(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// Each sandbox's usage, asked of the host all at once; what has not come by `deadline` is left out.
    static func stats(of ids: [String], service: SandboxService, within deadline: Duration) async -> [String: SandboxStats] {
        guard !ids.isEmpty else { return [:] }
        let (answers, continuation) = AsyncStream<(String, SandboxStats?)>.makeStream()
        // Unstructured, so a host call that ignores cancellation cannot hold the page past the deadline.
        let asks = ids.map { id in
            Task {
                let stats = try? await service.stats(id: id, keyID: nil)
                continuation.yield((id, stats))
            }
        }
        let timer = Task {
            try? await Task.sleep(for: deadline)
            continuation.finish()
        }
        defer {
            timer.cancel()
            asks.forEach { $0.cancel() }
            continuation.finish()
        }
        var found: [String: SandboxStats] = [:]
        var answered = 0
        for await (id, stats) in answers {
            if let stats { found[id] = stats }
            answered += 1
            if answered == ids.count { break }
        }
        return found
    }
}

extension Formatting {
    /// `532 B`, `1.5 KiB`, `12.3 MiB`, `2.0 GiB`.
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}
