import DockerEngine
import Foundation
import HTTPTransport
import RunnerClient
import RunnerProtocol
import Sandbox

/// Sandboxes as hardened Docker containers with the Swift runner as PID 1.
///
/// Create = container create (with an anonymous `/workspace` volume) → attach → start
/// → handshake with the runner. Attaching before start means no runner output is ever
/// missed; the handshake means no command reaches a shell that is not initialised.
public final class DockerSandboxBackend: SandboxBackend {
    public let name = "docker"
    public let docker: DockerClient
    public let profiles: ProfileCatalog
    public let images: ImageCatalog

    public init(docker: DockerClient, profiles: ProfileCatalog, images: ImageCatalog = ImageCatalog()) {
        self.docker = docker
        self.profiles = profiles
        self.images = images
    }

    /// Connects to the engine named by `DOCKER_HOST` (default: the local socket) and finds the profiles.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> DockerSandboxBackend {
        let docker: DockerClient
        do {
            docker = try await DockerClient.connect(to: try DockerHost.fromEnvironment(environment))
        } catch {
            throw SandboxError.dockerUnavailable(error)
        }
        return DockerSandboxBackend(docker: docker, profiles: try ProfileCatalog())
    }

    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        try await createSandbox(spec)
    }

    public func createSandbox(_ spec: SandboxSpec) async throws -> DockerSandbox {
        try await createSandbox(spec, profile: try profiles.profile(named: spec.profile))
    }

    /// Creates a sandbox under an explicit profile value (e.g. one being verified), ignoring `spec.profile`.
    public func createSandbox(_ spec: SandboxSpec, profile: IsolationProfile) async throws -> DockerSandbox {
        try spec.validate()
        let image = images.resolve(spec.image)
        // The engine would refuse it too, but in words that read like its own failure.
        if let problem = ImageReference.problem(image) {
            throw SandboxError(.invalidArgument, "image '\(spec.image)' is not a valid image reference: \(problem)")
        }
        let id = Self.makeSandboxID()
        let config = containerConfig(id: id, image: image, profile: profile, spec: spec)
        let containerID: String
        let containerName = "sandcastle-\(id)"
        do {
            // Not cancelled with the caller: an aborted create request can still make the container
            // after a cleanup by name has found nothing, leaking it. Finishing the create (tens of
            // milliseconds) always yields the id, and the start below sees the cancellation.
            let docker = self.docker
            containerID = try await Task.detached { try await docker.createContainer(name: containerName, config: config) }.value
        } catch let error as DockerError where error.code == .notFound {
            throw SandboxError(
                .imageNotFound,
                "image \(image) is not in the Docker engine. Build the sandbox images with `sandcastle images build` "
                    + "(or ./scripts/setup).", cause: error)
        } catch {
            // A create interrupted in flight (Ctrl-C) may still have made the container; the
            // engine knows it by its name even though we never saw its id.
            let docker = self.docker
            await Task.detached { try? await docker.removeContainer(id: containerName, force: true, removeVolumes: true) }.value
            if Task.isCancelled { throw SandboxError(.cancelled, "sandbox creation was cancelled", cause: error) }
            throw SandboxError.fromDocker(error, doing: "create the sandbox container")
        }
        do {
            let stream = try await docker.attachContainer(id: containerID)
            let channel = AttachedRunnerChannel(stream: stream)
            let connection = RunnerConnection(channel: channel)
            try await docker.startContainer(id: containerID)
            let sandbox = DockerSandbox(
                id: id, containerID: containerID, image: image, profile: profile,
                backend: self, connection: connection, channel: channel)
            do {
                try await connection.handshake(timeout: spec.readyTimeout)
            } catch {
                throw await sandbox.explain(error, doing: "wait for the runner to become ready")
            }
            return sandbox
        } catch {
            // Detached so that a cancelled caller (Ctrl-C during create) still removes the container.
            let docker = self.docker
            await Task.detached { try? await docker.removeContainer(id: containerID, force: true, removeVolumes: true) }.value
            if Task.isCancelled { throw SandboxError(.cancelled, "sandbox creation was cancelled", cause: error) }
            throw error as? SandboxError ?? SandboxError.fromDocker(error, doing: "start the sandbox")
        }
    }

    func containerConfig(id: String, image: String, profile: IsolationProfile, spec: SandboxSpec) -> ContainerConfig {
        var labels = spec.labels
        labels[SandcastleLabels.managed] = "true"
        labels[SandcastleLabels.sandbox] = id
        labels[SandcastleLabels.profile] = profile.name
        var profile = profile
        if let network = spec.network { profile.network = network }
        if let memory = spec.memoryBytes { profile.memoryBytes = memory }
        if let cpus = spec.nanoCPUs { profile.nanoCPUs = cpus }
        // The sandbox's own workspace volume carries the caller's labels too (a server's id, a
        // test's marker), so whoever owns the container can find everything it left.
        var workspaceLabels = spec.labels
        workspaceLabels[SandcastleLabels.managed] = "true"
        workspaceLabels[SandcastleLabels.sandbox] = id
        var environment = spec.environment
        // The runner confines its files only when the spec says so, never on a caller's variable.
        environment[RunnerWire.filesBeneathVariable] = spec.filesBeneath
        var config = ContainerConfig(image: image)
        config.env = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        config.user = profile.user
        config.workingDir = "/workspace"
        config.labels = labels
        config.hostname = "sandbox"
        // The runner's stdin/stdout are the channel: keep stdin open across (re)attaches, no TTY.
        config.openStdin = true
        config.stdinOnce = false
        config.attachStdin = true
        config.attachStdout = true
        config.attachStderr = true
        config.tty = false
        // Without a network, skip the engine's network setup altogether: the container still
        // gets its own namespace with loopback, and starts in about half the time. The engine
        // then mounts no /etc/hosts, so the images carry one that resolves `localhost`.
        config.networkDisabled = profile.network == .none ? true : nil
        config.hostConfig = profile.hostConfig(workspace: spec.workspace, workspaceLabels: workspaceLabels)
        return config
    }

    static func makeSandboxID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<12).map { _ in String(UInt8.random(in: 0..<16, using: &generator), radix: 16) }.joined()
    }
}

extension SandboxError {
    static func dockerUnavailable(_ error: any Error) -> SandboxError {
        if let sandboxError = error as? SandboxError { return sandboxError }
        return SandboxError(.engineUnavailable, "\(error)", cause: error)
    }

    /// Maps a Docker error to a sandbox error that keeps the Docker engine's message.
    static func fromDocker(_ error: any Error, doing action: String) -> SandboxError {
        if let sandboxError = error as? SandboxError { return sandboxError }
        if let docker = error as? DockerError {
            if docker.code == .engineUnreachable { return SandboxError(.engineUnavailable, docker.message, cause: docker) }
            if docker.code == .notFound { return SandboxError(.sandboxGone, "cannot \(action): \(docker.message)", cause: docker) }
            // The engine refused a value it was asked to use (a CPU count over the host's, a volume
            // name it will not take): values that come from the caller, so the caller's error.
            if docker.code == .badRequest { return SandboxError(.invalidArgument, "cannot \(action): \(docker.message)", cause: docker) }
        }
        return SandboxError(.internal, "cannot \(action): \(error)", cause: error)
    }
}

extension DockerSandboxBackend {
    /// Re-attaches to the runner of a sandbox container created earlier (by a server that has
    /// since restarted) and proves the channel works with a handshake and a trivial process.
    ///
    /// Why this can work: the container keeps its stdin open across detaches (`OpenStdin`,
    /// `StdinOnce: false`) and the runner answers every `hello`. Why it can fail: a host killed
    /// in the middle of writing a frame leaves a partial frame in the runner's input, and frames
    /// the runner wrote while nobody was attached are lost, so the stream may be out of step.
    /// A failure is reported as `sandboxGone`; the caller decides whether to remove the container.
    public func adopt(sandboxID: String, containerID: String, readyTimeout: Duration = .seconds(5)) async throws -> DockerSandbox {
        let inspect: ContainerInspect
        do {
            inspect = try await docker.inspectContainer(id: containerID)
        } catch {
            throw SandboxError.fromDocker(error, doing: "inspect sandbox \(sandboxID)'s container")
        }
        guard inspect.state.running else {
            throw SandboxError(
                .sandboxGone,
                "sandbox \(sandboxID)'s container is not running (status \(inspect.state.status), "
                    + "exit code \(inspect.state.exitCode)\(inspect.state.oomKilled ? ", OOM-killed" : ""))")
        }
        let profileName = inspect.config?.labels?[SandcastleLabels.profile] ?? "default"
        // The profile only feeds error messages here; the container already runs under its own.
        let profile = try (try? profiles.profile(named: profileName)) ?? profiles.profile(named: "default")
        let stream: UpgradedStream
        do {
            stream = try await docker.attachContainer(id: containerID)
        } catch {
            throw SandboxError.fromDocker(error, doing: "re-attach to sandbox \(sandboxID)")
        }
        let channel = AttachedRunnerChannel(stream: stream)
        // Ids far from where a fresh connection starts, so none collides with an operation the
        // previous server left running in the runner.
        let connection = RunnerConnection(channel: channel, firstRequestID: UInt32.random(in: 1 << 30..<1 << 31))
        let sandbox = DockerSandbox(
            id: sandboxID, containerID: containerID, image: inspect.config?.image ?? "",
            profile: profile, backend: self, connection: connection, channel: channel)
        do {
            // The hello also makes the runner end whatever the previous server left running (a
            // command in the shell would otherwise hold back every exec of ours; see runner/README.md).
            try await connection.handshake(timeout: readyTimeout)
            // An argv process, not the shell: the shell may still be interrupting that command.
            let probe = try await connection.spawn(SpawnRequest(arguments: ["/bin/true"], timeoutMilliseconds: 5000)).collect()
            guard probe.exitCode == 0 else {
                throw SandboxError(.runnerFailed, "the runner answered a probe with exit code \(probe.exitCode)")
            }
        } catch {
            connection.close()
            let explained = await sandbox.explain(error, doing: "re-attach to its runner")
            throw SandboxError(.sandboxGone, "sandbox \(sandboxID) could not be re-adopted: \(explained.message)", cause: error)
        }
        return sandbox
    }
}

extension DockerSandboxBackend {
    /// Named Docker volumes with the managed label.
    public var workspaces: (any SharedWorkspaces)? { DockerWorkspaces(backend: self) }

    /// Every container with the managed label and all of `labels`, removed with its anonymous
    /// volumes, whichever process created it.
    public func removeSandboxes(labelled labels: [String: String]) async throws -> Int {
        let filters = DockerFilters.labels(
            ["\(SandcastleLabels.managed)=true"]
                + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        let containers: [ContainerSummary]
        do {
            containers = try await docker.listContainers(all: true, filters: filters)
        } catch {
            throw SandboxError.fromDocker(error, doing: "list the sandboxes labelled \(labels)")
        }
        var removed = 0
        for container in containers {
            do {
                try await docker.removeContainer(id: container.id, force: true, removeVolumes: true)
                removed += 1
            } catch let error as DockerError where error.code == .notFound {
                continue // removed meanwhile: the goal is met
            } catch {
                throw SandboxError.fromDocker(error, doing: "remove container \(container.id)")
            }
        }
        return removed
    }
}
