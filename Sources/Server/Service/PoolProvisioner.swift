import Sandbox

/// Hands out sandboxes from a ``WarmPool`` (the `pool` setting, `image[:profile]=N`), falling
/// back to a cold create for whatever the pool cannot serve.
///
/// The service labels every spec with its server id, and the pool refuses specs with labels
/// (labels are fixed at container create). So the pool is built to put the server's labels on
/// everything it creates itself — pooled containers through its configuration, misses through
/// ``LabelingBackend`` — and the provisioner drops exactly those labels from the spec. A spec
/// with any other label is passed on unchanged and created cold.
public struct PoolProvisioner: SandboxProvisioner {
    public let pool: WarmPool
    let serverLabels: [String: String]

    public init(backend: any SandboxBackend, targets: [PoolTarget], serverLabels: [String: String],
                images: ImageCatalog = ImageCatalog()) {
        self.serverLabels = serverLabels
        self.pool = WarmPool(backend: LabelingBackend(base: backend, labels: serverLabels), targets: targets,
                             configuration: WarmPool.Configuration(labels: serverLabels), images: images)
    }

    public func provision(_ spec: SandboxSpec) async throws -> ProvisionedSandbox {
        var request = spec
        if request.labels == serverLabels { request.labels = [:] }
        let acquisition = try await pool.acquire(request)
        return ProvisionedSandbox(instance: acquisition.instance, fromPool: acquisition.hit)
    }

    public func start() async { await pool.start() }

    public func poolStatistics() async -> [PoolFigures] {
        await pool.statistics.targets.map { figures in
            PoolFigures(image: figures.target.image, profile: figures.target.profile, target: figures.target.size,
                        ready: figures.ready, hits: figures.hits, misses: figures.misses)
        }
    }

    /// Removes the idle pooled sandboxes; handed-out ones are the service's.
    public func shutdown() async { await pool.drain() }

    /// Parses pool targets: `base=2`, `python:networked=1`.
    public static func targets(_ entries: [String]) throws -> [PoolTarget] {
        try entries.map { entry in
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let size = Int(parts[1]), size >= 0, size <= 64, !parts[0].isEmpty else {
                throw ServerError(.invalidConfiguration, "pool target '\(entry)' must look like image[:profile]=N with N between 0 and 64")
            }
            // `base:strict` names a profile; a reference with a registry path keeps its tag
            // (`sandcastle/base:latest`), as short names never carry one.
            let name = parts[0]
            if !name.contains("/"), let colon = name.lastIndex(of: ":") {
                return PoolTarget(image: String(name[..<colon]), profile: String(name[name.index(after: colon)...]), size: size)
            }
            return PoolTarget(image: name, size: size)
        }
    }
}

/// A backend that adds labels to every spec it creates (the server's id on pool misses).
struct LabelingBackend: SandboxBackend {
    let base: any SandboxBackend
    let labels: [String: String]
    var name: String { base.name }

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        var labelled = spec
        labelled.labels.merge(labels) { current, _ in current }
        return try await base.create(labelled)
    }
}
