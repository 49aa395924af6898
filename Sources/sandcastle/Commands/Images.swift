import ArgumentParser
import DockerEngine
import Foundation
import Sandbox
import SandboxDocker

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "Build and list the sandbox images (base, python, node, agent).",
        subcommands: [ImagesBuild.self, ImagesList.self])
}

struct ImagesBuild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the sandbox images; unchanged ones (same Dockerfile, runner and parent) are skipped.",
        discussion: """
            Works without a registry: when the engine has no debian:bookworm-slim, a Debian rootfs is made \
            with debootstrap and imported as \(ImageBuilder.offlineBootstrapImage).
            """)

    @Option(name: .long, help: "The runner binary to put in the images (default: $SANDCASTLE_RUNNER or .build/release/sandcastle-runner).")
    var runner: String?

    @Option(name: .long, help: "The Debian image to start from (default: debian:bookworm-slim if present, else the offline bootstrap image).")
    var baseImage: String?

    @Flag(
        name: .long,
        help: "Build the named images on the sandcastle/base already in the engine instead of bringing base up to date first.")
    var keepBase = false

    @Argument(help: "Which images (default: all of base, python, node, agent).")
    var names: [String] = []

    func validate() throws {
        if keepBase && names.contains("base") {
            throw ValidationError("--keep-base keeps the existing base image; leave base out of the names or drop the flag")
        }
        for name in names where !ImageCatalog.shipped.contains(name) {
            throw ValidationError("unknown image '\(name)'; choose from \(ImageCatalog.shipped.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let locator = ResourceLocator()
        // Only base contains the runner; with --keep-base none is needed.
        let runnerPath =
            try runner ?? ProcessInfo.processInfo.environment["SANDCASTLE_RUNNER"]
            ?? (keepBase ? "" : locator.require(".build/release/sandcastle-runner", what: "the release runner binary"))
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        let builder = ImageBuilder(
            docker: docker, imagesDirectory: try locator.require("images", what: "the images folder"),
            runnerPath: runnerPath, bootstrapImage: baseImage, locator: locator)
        var wanted = names.isEmpty ? ImageCatalog.shipped : names
        // The others build on base, so base is brought up to date first unless told to keep it.
        if keepBase {
            wanted.removeAll { $0 == "base" }
        } else if !wanted.contains("base") {
            wanted.insert("base", at: 0)
        }
        let results = try await builder.buildAll(wanted) { Console.error($0) }
        for result in results {
            let seconds = String(format: "%.1f", result.duration.milliseconds / 1000)
            Console.print("\(result.reference)  \(result.imageID.prefix(19))  \(result.rebuilt ? "built" : "unchanged") in \(seconds) s")
        }
    }
}

struct ImagesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List Sandcastle's images in the engine.")

    func run() async throws {
        let docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment())
        let images = try await docker.listImages(filters: .label(SandcastleLabels.managed, "true"))
        Console.print("IMAGE                          ID             SIZE      CONTENT KEY")
        for image in images.sorted(by: { ($0.repoTags?.first ?? "") < ($1.repoTags?.first ?? "") }) {
            let tag = image.repoTags?.first ?? "<none>"
            let id = image.id.replacingOccurrences(of: "sha256:", with: "").prefix(12)
            let size = String(format: "%.0f MB", Double(image.size ?? 0) / 1e6)
            let key = image.labels?[SandcastleLabels.contentKey].map { String($0.prefix(12)) } ?? "-"
            Console.print("\(tag.padding(toLength: 30, withPad: " ", startingAt: 0)) \(id)  \(size.padding(toLength: 9, withPad: " ", startingAt: 0)) \(key)")
        }
    }
}
