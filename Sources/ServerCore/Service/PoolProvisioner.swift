import Sandbox

/// Adds this server's labels to every container a backend creates, whoever asks for it
/// (the service, the pool's background fill, the pool's cold fallback), so restarts can
/// always tell this server's containers from anyone else's.
///
/// Why here and not in the spec: a spec carrying labels is not poolable (labels are fixed at
/// container create), so the service's specs stay label-free and the label is applied below
/// the pool.
public struct LabelingBackend: SandboxBackend {
    public let base: any SandboxBackend
    public let labels: [String: String]
    public var name: String { base.name }

    public init(base: any SandboxBackend, labels: [String: String]) {
        self.base = base
        self.labels = labels
    }

    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        var spec = spec
        spec.labels.merge(labels) { _, ours in ours }
        return try await base.create(spec)
    }
}

/// The warm pool behind the provisioner seam: a poolable request is a hit when its target
/// has a ready sandbox; anything else is created cold by the pool's backend.
public struct PoolProvisioner: SandboxProvisioner {
    public let pool: WarmPool

    public init(pool: WarmPool) {
        self.pool = pool
    }

    public func provision(_ spec: SandboxSpec) async throws -> ProvisionedSandbox {
        let acquisition = try await pool.acquire(spec)
        return ProvisionedSandbox(instance: acquisition.instance, fromPool: acquisition.hit)
    }

    public func start() async { await pool.start() }

    public func poolStatistics() async -> [PoolFigures] {
        await pool.statistics.targets.map { target in
            PoolFigures(
                image: target.target.image, profile: target.target.profile, target: target.target.size,
                ready: target.ready, hits: target.hits, misses: target.misses)
        }
    }

    /// Destroys the idle pooled sandboxes; handed-out ones stay (the next start re-adopts them).
    public func shutdown() async { await pool.drain() }

    /// Parses `image[:profile]=size` (e.g. `base=2`, `python:strict=1`).
    public static func targets(_ entries: [String]) throws -> [PoolTarget] {
        try entries.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let size = Int(parts[1]), (1...64).contains(size), !parts[0].isEmpty else {
                throw ServerError(.invalidConfiguration, "pool target '\(entry)' must be image[:profile]=N with N in 1…64, e.g. base:default=2")
            }
            // A profile is the text after the last ':' unless that is an image tag (a reference with '/').
            let name = parts[0]
            if let colon = name.lastIndex(of: ":"), !name[name.index(after: colon)...].contains("/"), !name.contains("/") {
                return PoolTarget(image: String(name[..<colon]), profile: String(name[name.index(after: colon)...]), size: size)
            }
            return PoolTarget(image: name, profile: "default", size: size)
        }
    }
}
