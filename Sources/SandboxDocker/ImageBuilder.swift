import Crypto
import DockerEngine
import Foundation
import Sandbox

/// Builds Sandcastle's sandbox images through the Engine API, keyed by content.
///
/// Each image's key is a SHA-256 over its Dockerfile, the runner binary (base only)
/// and the id of the image it builds on. An image whose `sandcastle.content-key`
/// label already matches is not rebuilt, so a second build with nothing changed
/// takes as long as a few inspects.
public struct ImageBuilder: Sendable {
    public struct Result: Sendable {
        public var reference: String
        public var imageID: String
        public var rebuilt: Bool
        public var duration: Duration
    }

    public let docker: DockerClient
    public let imagesDirectory: String
    public let runnerPath: String
    /// The Debian image the base image starts from; nil picks one (see ``resolveBootstrapImage(progress:)``).
    public let bootstrapImage: String?
    public let locator: ResourceLocator

    public init(
        docker: DockerClient, imagesDirectory: String, runnerPath: String, bootstrapImage: String? = nil,
        locator: ResourceLocator = ResourceLocator()
    ) {
        self.docker = docker
        self.imagesDirectory = imagesDirectory
        self.runnerPath = runnerPath
        self.bootstrapImage = bootstrapImage
        self.locator = locator
    }

    /// The image built from `debootstrap` when no registry can provide `debian:bookworm-slim`.
    public static let offlineBootstrapImage = "sandcastle/bootstrap:bookworm"

    /// Builds `names` in catalogue order. Without `base` among them, the others build on the
    /// `sandcastle/base` already in the engine (which must exist), and neither the runner
    /// binary nor a Debian image is needed.
    public func buildAll(_ names: [String] = ImageCatalog.shipped, progress: @escaping @Sendable (String) -> Void) async throws -> [Result] {
        let buildsBase = names.contains("base")
        var bootstrap: String?
        if buildsBase {
            guard FileManager.default.isReadableFile(atPath: runnerPath) else {
                throw SandboxError(
                    .imageBuildFailed,
                    "runner binary not found at \(runnerPath). Build it with "
                        + "`swift build -c release --static-swift-stdlib --product sandcastle-runner`.")
            }
            bootstrap = try await resolveBootstrapImage(progress: progress)
        } else if !(try await imageExists(ImageCatalog.reference(for: "base"))) {
            throw SandboxError(
                .imageBuildFailed, "\(ImageCatalog.reference(for: "base")) is not in the engine; build it first: sandcastle images build base")
        }
        var results: [Result] = []
        for name in ImageCatalog.shipped where names.contains(name) {
            // The others build on the base image made (or checked) in this same run.
            let parent = name == "base" ? (bootstrap ?? Self.offlineBootstrapImage) : ImageCatalog.reference(for: "base")
            results.append(try await build(name, parent: parent, progress: progress))
        }
        await pruneSuperseded()
        return results
    }

    /// Removes untagged images of ours that earlier builds left behind. Best effort: an image
    /// a container still uses stays until a later build.
    func pruneSuperseded() async {
        let filters = DockerFilters(["dangling": ["true"], "label": ["\(SandcastleLabels.managed)=true"]])
        guard let stale = try? await docker.listImages(filters: filters) else { return }
        for image in stale {
            _ = try? await docker.removeImage(image.id, force: false)
        }
    }

    /// A local Debian bookworm image: the one given, else `debian:bookworm-slim` if the
    /// engine has it, else the offline bootstrap image (made with debootstrap when missing).
    public func resolveBootstrapImage(progress: @escaping @Sendable (String) -> Void) async throws -> String {
        if let bootstrapImage { return bootstrapImage }
        for candidate in ["debian:bookworm-slim", Self.offlineBootstrapImage] where try await imageExists(candidate) {
            return candidate
        }
        progress("no Debian base image in the engine; making \(Self.offlineBootstrapImage) with debootstrap (about a minute)")
        let script = try locator.require("scripts/bootstrap-base-image.sh", what: "the offline base image script")
        let tarball = "/var/tmp/sandcastle-rootfs-\(UUID().uuidString).tar"
        defer { try? FileManager.default.removeItem(atPath: tarball) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, "--tar", tarball]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SandboxError(.imageBuildFailed, "\(script) failed with exit code \(process.terminationStatus)")
        }
        let (repository, tag) = Self.split(Self.offlineBootstrapImage)
        _ = try await docker.importImage(
            fromTarFile: tarball, repository: repository, tag: tag,
            changes: ["LABEL \(SandcastleLabels.managed)=true", "CMD [\"/bin/bash\"]"])
        progress("imported \(Self.offlineBootstrapImage)")
        return Self.offlineBootstrapImage
    }

    func build(_ name: String, parent: String, progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        let start = ContinuousClock.now
        let reference = ImageCatalog.reference(for: name)
        let directory = (imagesDirectory as NSString).appendingPathComponent(name)
        let dockerfilePath = (directory as NSString).appendingPathComponent("Dockerfile")
        guard let dockerfile = FileManager.default.contents(atPath: dockerfilePath) else {
            throw SandboxError(.imageBuildFailed, "cannot read \(dockerfilePath)")
        }
        let parentID = try await docker.inspectImage(parent).id
        var hasher = SHA256()
        hasher.update(data: dockerfile)
        hasher.update(data: Array("\u{0}parent=\(parentID)\u{0}".utf8))
        let includesRunner = name == "base"
        if includesRunner { try hashFile(runnerPath, into: &hasher) }
        let key = hasher.finalize().hex

        let existing = try? await docker.inspectImage(reference)
        if let existing, existing.config?.labels?[SandcastleLabels.contentKey] == key {
            progress("\(reference) is up to date (content key \(key.prefix(12)))")
            return Result(reference: reference, imageID: existing.id, rebuilt: false, duration: ContinuousClock.now - start)
        }

        progress("building \(reference) from \(parent)")
        let context = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-context-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: context) }
        let tar = try TarWriter(path: context)
        try tar.addFile("Dockerfile", contents: [UInt8](dockerfile), mode: 0o644)
        if includesRunner { try tar.addFile("sandcastle-runner", contentsOf: runnerPath, mode: 0o755) }
        _ = try tar.finish()

        let build = try await docker.buildImage(
            contextTarFile: context, tags: [reference], buildArgs: ["BASE_IMAGE": parent],
            labels: [SandcastleLabels.managed: "true", SandcastleLabels.contentKey: key]
        ) { line in
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { progress("  \(trimmed)") }
        }
        var imageID = build.imageID ?? ""
        if imageID.isEmpty { imageID = try await docker.inspectImage(reference).id }
        return Result(reference: reference, imageID: imageID, rebuilt: true, duration: ContinuousClock.now - start)
    }

    static func split(_ reference: String) -> (repository: String, tag: String) {
        guard let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") else { return (reference, "latest") }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    private func imageExists(_ reference: String) async throws -> Bool {
        do {
            _ = try await docker.inspectImage(reference)
            return true
        } catch let error as DockerError where error.code == .notFound {
            return false
        }
    }

    private func hashFile(_ path: String, into hasher: inout SHA256) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SandboxError(.imageBuildFailed, "cannot read \(path)")
        }
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
        }
    }
}
