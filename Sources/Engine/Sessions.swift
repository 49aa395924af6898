import Sandbox

/// The sandboxes of a run's `session:` names: created by the first step of a session, kept for
/// the next ones (same shell, same files outside the workspace), destroyed when the run ends or
/// pauses. Validation guarantees that steps of one session never run at the same time.
actor SessionSandboxes {
    private var sandboxes: [String: any SandboxInstance] = [:]

    /// The session's sandbox, created with `create` the first time.
    func sandbox(_ name: String, create: @Sendable () async throws -> any SandboxInstance) async throws -> any SandboxInstance {
        if let existing = sandboxes[name] { return existing }
        let created = try await create()
        sandboxes[name] = created
        return created
    }

    /// Destroys a session's sandbox that can no longer be trusted (its channel failed); the
    /// session's next step starts a fresh one.
    func discard(_ name: String) async {
        guard let sandbox = sandboxes.removeValue(forKey: name) else { return }
        await Task.detached { try? await sandbox.destroy() }.value
    }

    func destroyAll() async {
        let all = sandboxes.values
        sandboxes = [:]
        // Detached: a cancelled run must still remove them.
        await Task.detached {
            for sandbox in all { try? await sandbox.destroy() }
        }.value
    }

    /// The command with the step's environment exported first, quoted so values stay data: a
    /// session's sandbox was created with the first step's environment, so later steps bring theirs.
    static func command(_ command: String, exporting environment: [String: String]) -> String {
        guard !environment.isEmpty else { return command }
        let exports = environment.sorted { $0.key < $1.key }.map { name, value in
            "\(name)='" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return "export " + exports.joined(separator: " ") + "\n" + command
    }
}
