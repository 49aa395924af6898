/// One kind of sandbox the warm pool keeps ready: an image under an isolation profile.
public struct PoolTarget: Sendable, Hashable, CustomStringConvertible {
    /// An image name or a short name of a Sandcastle image (`base`, `python`, `node`).
    public var image: String
    /// The isolation profile by name.
    public var profile: String
    /// How many sandboxes to keep ready.
    public var size: Int

    public init(image: String, profile: String = "default", size: Int) {
        self.image = image
        self.profile = profile
        self.size = size
    }

    public var description: String { "\(image) (profile \(profile))" }
}

/// What makes two sandboxes interchangeable for the pool: the image after name
/// normalisation and the profile.
struct PoolKey: Hashable, Sendable, CustomStringConvertible {
    var image: String
    var profile: String

    init(image: String, profile: String, images: ImageCatalog) {
        self.image = Self.normalise(image, images: images)
        self.profile = profile
    }

    var description: String { "\(image)|\(profile)" }

    /// `python`, `sandcastle/python` and `sandcastle/python:latest` are one image to the
    /// engine, so they must be one pool; a digest reference is taken as given.
    static func normalise(_ name: String, images: ImageCatalog) -> String {
        let resolved = images.resolve(name)
        if resolved.contains("@") { return resolved }
        let lastComponent = resolved.split(separator: "/").last ?? Substring(resolved)
        return lastComponent.contains(":") ? resolved : resolved + ":latest"
    }
}

extension WarmPool {
    /// Why `spec` cannot be served from the pool, or nil when it can.
    ///
    /// A pooled sandbox was created before anyone asked for it, so everything fixed at
    /// container create must be the pool's defaults: no named workspace (a pooled one has a
    /// fresh anonymous volume), no network/memory/CPU override, no extra labels. Environment
    /// variables are fine (they are applied per request, see ``PooledSandbox``) as long as
    /// their names are ones a shell can export.
    public static func whyNotPoolable(_ spec: SandboxSpec) -> String? {
        if spec.workspace != nil { return "it asks for a named workspace" }
        if spec.network != nil { return "it overrides the network" }
        if spec.memoryBytes != nil { return "it overrides the memory limit" }
        if spec.nanoCPUs != nil { return "it overrides the CPU limit" }
        if !spec.labels.isEmpty { return "it needs labels on the container" }
        if spec.filesBeneath != nil { return "it confines its files" }
        if let name = PooledSandbox.unexportableName(in: spec.environment) {
            return "its environment variable \(name) cannot be exported by a shell"
        }
        return nil
    }
}

/// A sandbox from ``WarmPool/acquire(_:)``.
public struct PoolAcquisition: Sendable {
    /// The sandbox, ready for use; destroy it as any other.
    public let instance: any SandboxInstance
    /// True when it came ready from the pool, false when it was created for this request.
    public let hit: Bool

    public init(instance: any SandboxInstance, hit: Bool) {
        self.instance = instance
        self.hit = hit
    }
}

/// Counters of one pool target, for `/metrics`.
public struct PoolTargetStatistics: Sendable, Equatable {
    /// The target, with its image name normalised (`sandcastle/base:latest`).
    public var target: PoolTarget
    /// Sandboxes ready to hand out.
    public var ready: Int
    /// Creations in flight.
    public var creating: Int
    /// Requests served from the pool.
    public var hits: Int
    /// Poolable requests for this target that found the pool empty and were created cold.
    public var misses: Int
    /// Failed creations, and pooled sandboxes found dead at hand-out.
    public var failures: Int
    /// The last creation error while the target is backing off; nil once a creation succeeds.
    public var lastError: String?
}

/// Everything the pool counts.
public struct PoolStatistics: Sendable, Equatable {
    public var targets: [PoolTargetStatistics]
    /// Requests that no target could serve (another image or profile, or not poolable).
    public var unpooled: Int
}
