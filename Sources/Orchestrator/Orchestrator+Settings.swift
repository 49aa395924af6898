import Foundation
import JSONValues
import Store

/// The server's settings on the global audit chain (issue 15 §4, "settings changed"). They are
/// read once at start (environment, `--config`, flags) and cannot change while the process runs,
/// so a change is what differs from the settings the last recorded start ran with: a server
/// restarted with `COMPLIANCE_MODE` unset, privacy off or open mode leaves a `settings.changed`
/// entry naming exactly that, and an unchanged restart leaves none.
extension Orchestrator {
    /// The audit event type.
    public static let settingsChangedEvent = "settings.changed"

    /// The settings a security reviewer follows, as recorded: nothing secret (no key, no URL
    /// with credentials), and `server` merged in for what only the HTTP layer knows (whether
    /// keys are required).
    public func guardedSettings(server: [String: JSONValue] = [:]) -> [String: JSONValue] {
        let settings = runs.settings
        let privacy = settings.privacy
        var recorded: [String: JSONValue] = [
            "compliance_mode": settings.complianceMode.map { .string($0.rawValue) } ?? .null,
            "data_residency": settings.dataResidency.map { .string($0.rawValue) } ?? .null,
            "privacy": .object([
                "enabled": .bool(privacy.enabled), "mode": .string(privacy.mode.rawValue),
                "entities": .array(privacy.entities.map(\.rawValue).sorted().map(JSONValue.string)),
                "apply_to": .array(privacy.applyTo.map(\.rawValue).sorted().map(JSONValue.string)),
            ]),
            "max_concurrent_runs": .integer(queue.maxConcurrentRuns),
            "max_sandboxes": .integer(settings.maxSandboxes),
            "max_parallel_per_run": .integer(settings.maxParallelPerRun),
            "backends": .array((["docker"] + (settings.e2b == nil ? [] : ["e2b"])).map(JSONValue.string)),
            "dead_letter_failed_runs": .bool(deadLetters.failedRuns),
        ]
        recorded.merge(server) { _, fromServer in fromServer }
        return recorded
    }

    /// Appends `settings.changed` to the global chain when `settings` differ from those the last
    /// such entry recorded (or none was recorded yet). The payload holds the settings in force,
    /// the names of those that changed and their previous values.
    ///
    /// - Returns: the names of the changed settings; empty when nothing changed (nothing appended).
    /// - Throws: ``OrchestratorError`` `internalFailure` when the chain cannot be read or written.
    @discardableResult
    public func recordSettings(_ settings: [String: JSONValue]) throws -> [String] {
        do {
            let audit = runs.repository.audit
            let last = try audit.entries(AuditQuery(chain: .global, eventType: Self.settingsChangedEvent, limit: 1, newestFirst: true))
            var previous: [String: JSONValue] = [:]
            if let entry = last.entries.first, case .object(let payload)? = JSONValue.parse(json: entry.payloadJSON),
                case .object(let recorded)? = payload["settings"]
            {
                previous = recorded
            }
            // Compared as recorded: the stored JSON is what the next start reads back.
            var settings = settings
            if case .object(let roundTripped)? = JSONValue.parse(json: JSONValue.object(settings).jsonText) { settings = roundTripped }
            let names = Set(settings.keys).union(previous.keys)
            let changed = names.filter { settings[$0] != previous[$0] }.sorted()
            guard !changed.isEmpty else { return [] }
            let before = Dictionary(uniqueKeysWithValues: changed.compactMap { name in previous[name].map { (name, $0) } })
            try audit.append(
                .global(
                    Self.settingsChangedEvent,
                    payload: [
                        "settings": .object(settings), "changed": .array(changed.map(JSONValue.string)),
                        "previous": last.entries.isEmpty ? .null : .object(before),
                    ], actor: .cli))
            return changed
        } catch {
            throw OrchestratorError(.internalFailure, "the server's settings could not be recorded in the audit chain: \(error)")
        }
    }
}
