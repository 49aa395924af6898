import Foundation
import Logging
import Metrics
import Sandbox
import Store

/// The limits and defaults the service enforces (a slice of ``ServerConfiguration``).
public struct ServiceLimits: Sendable {
    public var maxSandboxes: Int
    public var maxSandboxesPerKey: Int
    public var defaultTTLSeconds: Int
    public var maxTTLSeconds: Int
    public var defaultExecTimeoutSeconds: Int
    public var maxExecTimeoutSeconds: Int
    public var maxExecOutputBytes: Int
    public var reapInterval: Duration

    public init(_ c: ServerConfiguration) {
        maxSandboxes = c.maxSandboxes
        maxSandboxesPerKey = c.maxSandboxesPerKey
        defaultTTLSeconds = c.defaultTTLSeconds
        maxTTLSeconds = c.maxTTLSeconds
        defaultExecTimeoutSeconds = c.defaultExecTimeoutSeconds
        maxExecTimeoutSeconds = c.maxExecTimeoutSeconds
        maxExecOutputBytes = c.maxExecOutputBytes
        reapInterval = .milliseconds(Int(c.reapIntervalSeconds * 1000))
    }
}

/// Owns every sandbox the server hands out: records in the repository, live instances in
/// memory, limits, TTLs and the reaper, and reconciliation with the host after a restart.
///
/// Controllers stay thin: they decode, call one method here with the caller's key id, and
/// encode. A key only ever sees its own sandboxes (someone else's is "not found").
public actor SandboxService {
    package nonisolated let limits: ServiceLimits
    let repository: any SandboxRepository
    package let provisioner: any SandboxProvisioner
    package nonisolated let host: (any SandboxHost)?
    /// Labels this server's containers so a restart can tell its own from anyone else's.
    public nonisolated let serverID: String
    let metrics: ServerMetrics
    /// `sandcastle_exec_duration_seconds`: time from exec request to the command's exit.
    nonisolated let execDuration: Metrics.Timer
    /// `sandcastle_sandboxes_created_total`: sandboxes handed out, cold or from the warm pool.
    private let createdCold: Counter
    private let createdFromPool: Counter
    let logger: Logger

    private var live: [String: any SandboxInstance] = [:]
    /// Creates in flight, counted against the limits before their records exist.
    private var pendingTotal = 0
    private var pendingByKey: [String: Int] = [:]
    private var reaper: Task<Void, Never>?
    /// Set when start-up could not list the host's containers; the reaper retries.
    private var reconcilePending = false
    /// Containers of deleted, expired and dead sandboxes still being removed.
    package nonisolated let removals: PendingRemovals

    /// - Parameter removalRetryDelays: the pauses before retrying a failed container removal; after
    ///   the last, the container is left for the next start's reconcile.
    public init(
        limits: ServiceLimits, repository: any SandboxRepository, provisioner: any SandboxProvisioner,
        host: (any SandboxHost)?, serverID: String, metrics: ServerMetrics = ServerMetrics(),
        logger: Logger = Logger(label: "sandcastle.service"),
        removalRetryDelays: [Duration] = [.milliseconds(500), .seconds(2), .seconds(5)]
    ) {
        self.limits = limits
        self.repository = repository
        self.provisioner = provisioner
        self.host = host
        self.serverID = serverID
        self.metrics = metrics
        execDuration = Metrics.Timer(label: "sandcastle_exec_duration_seconds", factory: metrics.factory)
        createdCold = Counter(label: "sandcastle_sandboxes_created_total", dimensions: [("source", "cold")], factory: metrics.factory)
        createdFromPool = Counter(
            label: "sandcastle_sandboxes_created_total", dimensions: [("source", "pool")],
            factory: metrics.factory)
        self.logger = logger
        self.removals = PendingRemovals(retryDelays: removalRetryDelays, logger: logger)
    }

    // MARK: lifetime

    /// Reconciles with the host, then starts the TTL reaper.
    public func start() async {
        await reconcile()
        await provisioner.start()
        guard reaper == nil else { return }
        let interval = limits.reapInterval
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                if await self.reconcilePending { await self.reconcile(removeOrphans: false) }
                await self.reapExpired()
            }
        }
    }

    /// Stops the reaper and the provisioner, and waits for every container removal still under
    /// way. Live sandboxes are left running on purpose: the next start re-adopts them (or reports
    /// them lost), so a restart never kills user work.
    public func shutdown() async {
        let reaper = self.reaper
        self.reaper = nil
        reaper?.cancel()
        // A pass already under way may still hand removals over; let it finish first.
        await reaper?.value
        await provisioner.shutdown()
        await removals.waitForAll()
    }

    /// Returns once the containers of every sandbox deleted, expired or found dead so far are
    /// removed (or their removal gave up after its retries). Shutdown waits for this; so can tests.
    public func awaitPendingRemovals() async {
        await removals.waitForAll()
    }

    // MARK: create, read, delete

    public func create(_ request: CreateSandboxRequest, keyID: String?) async throws -> SandboxView {
        try await createReportingSource(request, keyID: keyID).view
    }

    /// ``create(_:keyID:)``, also saying whether the sandbox came ready from the warm pool
    /// (Sandkasten's `acquire_source`).
    public func createReportingSource(_ request: CreateSandboxRequest, keyID: String?) async throws
        -> (view: SandboxView, fromPool: Bool)
    {
        let spec = try validatedSpec(request)
        let ttl = request.ttlSeconds ?? limits.defaultTTLSeconds
        guard ttl > 0, ttl <= limits.maxTTLSeconds else {
            throw ServerError(.invalidInput, "ttl_seconds must be between 1 and \(limits.maxTTLSeconds), not \(ttl)")
        }
        try reserve(keyID: keyID)
        defer { release(keyID: keyID) }
        var backendSpec = spec
        if let name = spec.workspace {
            let workspace = OwnedWorkspace(name: name, keyID: keyID)
            // A sandbox deleted a moment ago may still be running commands in this workspace until
            // its container is gone; the new one must not see them.
            await removals.waitForRemovals(mounting: workspace.volumeName)
            backendSpec.workspace = try await volumeToMount(workspace)
        }
        let provisioned: ProvisionedSandbox
        do {
            provisioned = try await provisioner.provision(backendSpec)
        } catch let error as SandboxError where error.code == .sandboxGone || error.code == .runnerFailed {
            // Nothing existed before this request, so "gone" would be misleading: the start failed.
            throw ServerError(.startFailed, "the sandbox did not start: \(error.message)", cause: error)
        }
        let instance = provisioned.instance
        let now = Date()
        let record = SandboxRecord(
            id: instance.id, containerID: host?.containerID(of: instance), image: spec.image, profile: spec.profile,
            status: .running, createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(ttl)), ttlSeconds: ttl,
            apiKeyID: keyID, workspace: spec.workspace, environment: spec.environment, memoryBytes: spec.memoryBytes,
            nanoCPUs: spec.nanoCPUs, network: spec.network?.rawValue, serverID: serverID)
        do {
            try repository.insert(record)
        } catch {
            try? await instance.destroy()
            throw error
        }
        live[instance.id] = instance
        (provisioned.fromPool ? createdFromPool : createdCold).increment()
        logger.info(
            "sandbox created",
            metadata: [
                "sandbox": .string(instance.id), "image": .string(spec.image),
                "pool": .stringConvertible(provisioned.fromPool),
            ])
        return (SandboxView(record), provisioned.fromPool)
    }

    public func get(id: String, keyID: String?) throws -> SandboxView {
        SandboxView(try record(id: id, keyID: keyID))
    }

    public func list(status: String?, image: String?, limit: Int?, cursor: String?, keyID: String?) throws -> SandboxPage {
        let limit = limit ?? 50
        guard (1...500).contains(limit) else { throw ServerError(.invalidInput, "limit must be between 1 and 500, not \(limit)") }
        var after: SandboxCursor?
        if let cursor {
            guard cursor.range(of: SandboxPage.cursorPattern, options: .regularExpression) != nil,
                let parsed = SandboxCursor(token: cursor)
            else {
                throw ServerError(.invalidInput, "cursor '\(cursor)' is not one this server handed out")
            }
            after = parsed
        }
        let statuses = status.map { Set($0.split(separator: ",").map { SandboxStatus(rawValue: String($0)) }) }
        let rows = try repository.list(
            SandboxQuery(
                statuses: statuses, image: image, apiKeyID: keyID, after: after,
                limit: limit + 1))
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { SandboxCursor(createdAt: $0.createdAt, id: $0.id).token } : nil
        return SandboxPage(sandboxes: page.map(SandboxView.init), nextCursor: next)
    }

    /// Deletes the sandbox; its record stays (status `deleted`) so later calls get 410, not 404.
    ///
    /// Returns once the sandbox is out of use: the record says `deleted`, no API call reaches it
    /// any more, and every operation in flight on it (a streaming command, a transfer, a terminal)
    /// has failed as gone. Its container (with the processes still in it, killed by the removal)
    /// and anonymous workspace volume are removed in the background; ``shutdown()`` waits for that.
    public func delete(id: String, keyID: String?) async throws {
        var record = try record(id: id, keyID: keyID)
        guard record.status.isLive else { return }
        let instance = live.removeValue(forKey: id)
        record.status = .deleted
        record.statusReason = "deleted by the API"
        record.updatedAt = Date()
        do {
            try repository.update(record)
        } catch {
            // Still live on record, so it must stay reachable.
            if let instance { live[id] = instance }
            throw error
        }
        try await retire(instance, record: record)
    }

    public func extend(id: String, ttlSeconds: Int, keyID: String?) throws -> SandboxView {
        guard ttlSeconds > 0, ttlSeconds <= limits.maxTTLSeconds else {
            throw ServerError(.invalidInput, "ttl_seconds must be between 1 and \(limits.maxTTLSeconds), not \(ttlSeconds)")
        }
        var record = try record(id: id, keyID: keyID)
        try Self.requireLive(record)
        let now = Date()
        record.expiresAt = now.addingTimeInterval(TimeInterval(ttlSeconds)).storeRounded
        record.ttlSeconds = ttlSeconds
        record.updatedAt = now.storeRounded
        try repository.update(record)
        return SandboxView(record)
    }

    // MARK: using a sandbox

    /// The live instance behind a sandbox, or the right error: 404 unknown, 410 expired/gone.
    public func instance(id: String, keyID: String?) throws -> any SandboxInstance {
        let record = try record(id: id, keyID: keyID)
        try Self.requireLive(record)
        guard let instance = live[id] else {
            throw ServerError(.gone, "sandbox \(id) is not attached to this server (status \(record.status))")
        }
        return instance
    }

    /// Runs a command to completion (output capped), recording its latency.
    public func exec(id: String, _ request: ExecRequest, keyID: String?) async throws -> ExecResponse {
        let sandbox = try instance(id: id, keyID: keyID)
        let started = ContinuousClock.now
        let collected: CollectedOutput
        do {
            collected = try await start(sandbox, request).collect()
        } catch {
            throw await noteFailure(error, sandboxID: id)
        }
        let elapsed = ContinuousClock.now - started
        execDuration.record(duration: elapsed)
        let result = collected.result
        if result.timedOut {
            throw ServerError(
                .commandTimeout,
                "the command did not finish within its timeout of \(timeoutMS(request)) ms (counted from the request, "
                    + "including any wait for the sandbox's shell) and was stopped")
        }
        return ExecResponse(
            stdout: collected.stdoutText, stderr: collected.stderrText, exitCode: result.exitCode,
            durationMS: (elapsed.milliseconds * 10).rounded() / 10, truncated: result.truncated,
            timedOut: false, oomKilled: result.oomKilled, cwd: result.workingDirectory.isEmpty ? nil : result.workingDirectory)
    }

    /// Starts a command and hands back its live process for streaming.
    public func startExec(id: String, _ request: ExecRequest, keyID: String?) async throws -> SandboxProcess {
        let sandbox = try instance(id: id, keyID: keyID)
        do {
            return try await start(sandbox, request)
        } catch {
            throw await noteFailure(error, sandboxID: id)
        }
    }

    /// Records a streamed exec's latency (the controller measures it).
    public nonisolated func recordExecLatency(_ duration: Duration) {
        execDuration.record(duration: duration)
    }

    public func stats(id: String, keyID: String?) async throws -> SandboxStats {
        let record = try record(id: id, keyID: keyID)
        try Self.requireLive(record)
        guard let host, let containerID = record.containerID else {
            throw ServerError(.invalidInput, "this server's backend does not report stats")
        }
        do {
            return try await host.stats(containerID: containerID)
        } catch {
            throw await noteFailure(error, sandboxID: id)
        }
    }

    /// Translates an operation's failure; a sandbox whose container died is marked gone so
    /// every later call gets 410 with the reason instead of a new failure.
    ///
    /// A sandbox retired while the operation ran (its TTL ran out, it was deleted, it was found
    /// gone) answers with its record's account, the same one `GET` and every later call give
    /// (`sandbox_expired` for an expired one), not with whatever its container said on the way
    /// out: a container being removed answers a stats or file call with an empty or half-written
    /// reply, which is no failure of the server's. A caller's own mistake (a 4xx) is reported as it is.
    public func noteFailure(_ error: any Error, sandboxID: String) async -> ServerError {
        let serverError = ServerError.from(error)
        if serverError.status.code >= 500 || serverError.code == .gone, let record = try? repository.sandbox(id: sandboxID),
            let retired = Self.retiredError(record)
        {
            return ServerError(retired.code, retired.message, cause: serverError)
        }
        guard serverError.code == .gone, var record = try? repository.sandbox(id: sandboxID), record.status.isLive else {
            return serverError
        }
        let instance = live.removeValue(forKey: sandboxID)
        record.status = .gone
        record.statusReason = serverError.message
        record.updatedAt = Date()
        try? repository.update(record)
        try? await retire(instance, record: record)
        logger.warning("sandbox gone", metadata: ["sandbox": .string(sandboxID), "reason": .string(serverError.message)])
        return serverError
    }

    /// Live sandboxes by status, for `/metrics`.
    public func liveCounts() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for status in SandboxStatus.live { counts[status.rawValue] = try repository.count(statuses: [status], apiKeyID: nil) }
        return counts
    }

    // MARK: reaper and reconciliation

    /// Removes sandboxes whose TTL ran out; their records say so (410 `sandbox_expired`).
    public func reapExpired(now: Date = Date()) async {
        guard let rows = try? repository.list(SandboxQuery(statuses: SandboxStatus.live, serverID: serverID)) else { return }
        for var record in rows {
            guard let expiresAt = record.expiresAt, expiresAt <= now else { continue }
            let instance = live.removeValue(forKey: record.id)
            record.status = .expired
            record.statusReason = "its TTL of \(record.ttlSeconds ?? 0) s ran out at \(APIDate.format(expiresAt))"
            record.updatedAt = now
            try? repository.update(record)
            try? await retire(instance, record: record)
            logger.info("sandbox expired", metadata: ["sandbox": .string(record.id)])
        }
    }

    /// After a (re)start: re-adopts this server's live sandboxes whose containers still run,
    /// marks the others `gone`/`lost` with the reason, and removes containers nobody knows.
    ///
    /// `removeOrphans` is for start-up only: while serving, a container being created (cold or by
    /// the pool) is unclaimed for a moment and must not be taken for an orphan.
    public func reconcile(removeOrphans: Bool = true) async {
        let rows = (try? repository.list(SandboxQuery(statuses: SandboxStatus.live, serverID: serverID))) ?? []
        guard let host else {
            for var record in rows where live[record.id] == nil {
                mark(&record, .lost, "the server restarted and its backend cannot re-adopt sandboxes")
            }
            return
        }
        let containers: [ManagedContainer]
        do {
            containers = try await host.managedContainers(serverID: serverID)
        } catch {
            logger.error("cannot list containers to reconcile; retrying", metadata: ["error": "\(error)"])
            reconcilePending = true
            return
        }
        reconcilePending = false
        var byID: [String: ManagedContainer] = [:]
        for container in containers { byID[container.containerID] = container }
        var claimed: Set<String> = []
        for var record in rows where live[record.id] == nil {
            guard let containerID = record.containerID, let container = byID[containerID] else {
                mark(&record, .gone, "its container disappeared while the server was down")
                continue
            }
            claimed.insert(containerID)
            if let expiresAt = record.expiresAt, expiresAt <= Date() {
                try? await host.removeContainer(containerID)
                mark(&record, .expired, "its TTL ran out while the server was down")
                continue
            }
            guard container.running else {
                try? await host.removeContainer(containerID)
                mark(&record, .gone, "its container stopped while the server was down")
                continue
            }
            do {
                let adopted = try await host.adopt(sandboxID: record.id, containerID: containerID)
                // A pooled sandbox got its environment per request, not on its container: keep applying it.
                live[record.id] =
                    container.pooled && !record.environment.isEmpty
                    ? PooledSandbox(base: adopted, environment: record.environment) : adopted
                logger.info("sandbox re-adopted", metadata: ["sandbox": .string(record.id)])
            } catch {
                try? await host.removeContainer(containerID)
                mark(&record, .lost, "lost over a server restart and removed: \(ServerError.from(error).message)")
            }
        }
        guard removeOrphans else { return }
        for container in containers where !claimed.contains(container.containerID) && !isLiveContainer(container.containerID) {
            // A create interrupted by the crash, a helper, or a record already final: nobody's sandbox.
            try? await host.removeContainer(container.containerID)
            logger.info("orphan container removed", metadata: ["container": .string(container.containerID)])
        }
    }

    // MARK: helpers

    private func isLiveContainer(_ containerID: String) -> Bool {
        live.values.contains { host?.containerID(of: $0) == containerID }
    }

    private func mark(_ record: inout SandboxRecord, _ status: SandboxStatus, _ reason: String) {
        record.status = status
        record.statusReason = reason
        record.updatedAt = Date()
        try? repository.update(record)
        logger.warning("sandbox \(status)", metadata: ["sandbox": .string(record.id), "reason": .string(reason)])
    }

    private func record(id: String, keyID: String?) throws -> SandboxRecord {
        guard let record = try repository.sandbox(id: id), keyID == nil || record.apiKeyID == keyID else {
            throw ServerError(.notFound, "no sandbox with id \(id)")
        }
        return record
    }

    static func requireLive(_ record: SandboxRecord) throws {
        if let retired = retiredError(record) { throw retired }
    }

    /// Why a sandbox is out of use (410, with its record's reason), or nil while it is live.
    static func retiredError(_ record: SandboxRecord) -> ServerError? {
        if record.status.isLive { return nil }
        let reason = record.statusReason.map { ": \($0)" } ?? ""
        if record.status == .expired { return ServerError(.expired, "sandbox \(record.id) expired\(reason)") }
        return ServerError(.gone, "sandbox \(record.id) is \(record.status)\(reason)")
    }

    /// Counts live records and creates in flight. A sandbox whose container is still being removed
    /// does not count: it is out of use the moment it is deleted, a client that deletes one to make
    /// room must be able to create the next at once (as before removals ran in the background), and
    /// its container holds memory and CPU only for the tens of milliseconds the host takes.
    private func reserve(keyID: String?) throws {
        let total = try repository.count(statuses: SandboxStatus.live, apiKeyID: nil) + pendingTotal
        guard total < limits.maxSandboxes else {
            throw ServerError(.atCapacity, "the server is at its limit of \(limits.maxSandboxes) sandboxes; delete one or retry later")
        }
        let key = keyID ?? ""
        let mine = try repository.count(statuses: SandboxStatus.live, apiKeyID: keyID) + pendingByKey[key, default: 0]
        guard mine < limits.maxSandboxesPerKey else {
            throw ServerError(.atCapacity, "this API key is at its limit of \(limits.maxSandboxesPerKey) sandboxes; delete one first")
        }
        pendingTotal += 1
        pendingByKey[key, default: 0] += 1
    }

    private func release(keyID: String?) {
        pendingTotal -= 1
        pendingByKey[keyID ?? "", default: 1] -= 1
    }

    /// Takes a sandbox whose record just became final out of use now, and removes its container in
    /// the background. The caller has already taken it out of ``live``.
    private func retire(_ instance: (any SandboxInstance)?, record: SandboxRecord) async throws {
        let containerID = record.containerID ?? instance.flatMap { host?.containerID(of: $0) }
        guard let host, let containerID else {
            // Not a container this host can remove on its own (an in-memory backend): destroy it
            // before answering, so nothing of it outlives the call.
            try await instance?.destroy()
            return
        }
        if let instance, !host.disconnect(instance) {
            try await instance.destroy()
            return
        }
        let workspace = record.workspace.map { OwnedWorkspace(name: $0, keyID: record.apiKeyID).volumeName }
        removals.start(sandboxID: record.id, containerID: containerID, workspace: workspace) {
            try await host.removeContainer(containerID)
        }
    }

    private func timeoutMS(_ request: ExecRequest) -> Int {
        request.timeoutMS ?? limits.defaultExecTimeoutSeconds * 1000
    }

    private func start(_ sandbox: any SandboxInstance, _ request: ExecRequest) async throws -> SandboxProcess {
        let timeout = timeoutMS(request)
        guard timeout > 0, timeout <= limits.maxExecTimeoutSeconds * 1000 else {
            throw ServerError(.invalidInput, "timeout_ms must be between 1 and \(limits.maxExecTimeoutSeconds * 1000), not \(timeout)")
        }
        let cap = request.maxOutputBytes ?? limits.maxExecOutputBytes
        guard cap > 0, cap <= limits.maxExecOutputBytes else {
            throw ServerError(.invalidInput, "max_output_bytes must be between 1 and \(limits.maxExecOutputBytes), not \(cap)")
        }
        switch (request.command, request.argv) {
        case (let command?, nil):
            guard !command.isEmpty else { throw ServerError(.invalidInput, "command is empty") }
            guard request.env == nil, request.cwd == nil else {
                throw ServerError(.invalidInput, "env and cwd apply to argv; a shell command can export and cd itself")
            }
            return try await sandbox.run(.shell(command, timeout: .milliseconds(timeout), maxOutputBytes: UInt64(cap)))
        case (nil, let argv?):
            guard !argv.isEmpty, !argv[0].isEmpty else { throw ServerError(.invalidInput, "argv must name a program") }
            return try await sandbox.run(
                .arguments(
                    argv, environment: request.env ?? [:], workingDirectory: request.cwd,
                    timeout: .milliseconds(timeout), maxOutputBytes: UInt64(cap)))
        default:
            throw ServerError(.invalidInput, "give exactly one of command (a shell command line) or argv (a program and its arguments)")
        }
    }

    /// What `image` and `profile` may be (the OpenAPI document says the same).
    package static let maxImageReferenceLength = 255
    package static let profileNamePattern = #"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"#

    private func validatedSpec(_ request: CreateSandboxRequest) throws -> SandboxSpec {
        let image = request.image ?? "base"
        guard !image.isEmpty, image.count <= Self.maxImageReferenceLength, !image.contains(where: { $0.isWhitespace }) else {
            throw ServerError(.invalidInput, "image must be a name like base, python, node or an image reference")
        }
        if let problem = ImageReference.problem(image) {
            throw ServerError(.invalidInput, "image '\(image)' is not a valid image reference: \(problem)")
        }
        // Only Sandcastle's images carry the runner; anything else would hang until the ready timeout
        // (and a service should not start arbitrary local images for its callers).
        guard !image.contains("/") || image.hasPrefix("sandcastle/") else {
            throw ServerError(.invalidInput, "image must be a Sandcastle image (base, python, node, or sandcastle/NAME), not '\(image)'")
        }
        let profile = request.profile ?? "default"
        guard profile.range(of: Self.profileNamePattern, options: .regularExpression) != nil else {
            throw ServerError(.invalidInput, "profile must be a profile name (see `sandcastle profile ls`), not '\(profile)'")
        }
        if let workspace = request.workspace { try OwnedWorkspace.validate(workspace) }
        var env = request.env ?? [:]
        for key in env.keys where key.isEmpty || key.contains("=") || key.contains("\0") {
            throw ServerError(.invalidInput, "environment variable names must be non-empty without '=' ('\(key)')")
        }
        var memory: Int64?
        if let mb = request.memoryMB {
            guard (16...65536).contains(mb) else { throw ServerError(.invalidInput, "memory_mb must be between 16 and 65536") }
            memory = Int64(mb) * 1_048_576
        }
        var nanoCPUs: Int64?
        if let cpu = request.cpu {
            guard cpu >= 0.01, cpu <= 64 else { throw ServerError(.invalidInput, "cpu must be between 0.01 and 64") }
            nanoCPUs = Int64((cpu * 1e9).rounded())
        }
        env = env.filter { !$0.key.isEmpty }
        // The server's labels are the provisioner's backend's to add; only a server-side caller's
        // own are here (a spec with labels is never poolable, so API requests carry none).
        return SandboxSpec(
            image: image, profile: profile, network: request.network.map { $0 ? .bridge : .none },
            environment: env, workspace: request.workspace, memoryBytes: memory, nanoCPUs: nanoCPUs, labels: request.labels)
    }
}
