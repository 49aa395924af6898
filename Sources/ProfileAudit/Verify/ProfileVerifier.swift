import DockerEngine
import Foundation
import Sandbox
import SandboxDocker

#if canImport(Glibc)
    import Glibc
#endif

/// Proves an isolation profile inside a live sandbox (`sandcastle profile verify`).
///
/// 1. Creates a sandbox under the profile and spawns `sandcastle-runner probe` in it, an
///    ordinary process with the sandbox's uid, capabilities, seccomp filter and
///    no_new_privs, exactly like agent code. Its lines are judged by ``ProbeExpectations``.
/// 2. A fork bomb (`probe forkbomb`) must be stopped by the pids limit, and every process
///    it made must be gone afterwards (`GET /containers/{id}/top`: only the runner and its
///    shell remain).
/// 3. A memory hog (`probe memhog`) must be killed by the kernel's OOM killer at the memory
///    limit, the engine must report it, and the runner must survive it. On Docker 20.10
///    with cgroup v1, an OOM kill of a process that is not PID 1 emits an `oom` event at
///    once, while `State.OOMKilled` stays false as long as the container runs and turns
///    true when it stops; so the verifier reads the event, then kills the container and
///    reads `State.OOMKilled`. Either counts as the engine's report; both are shown.
/// 4. After `destroy`, no container and no volume with the sandbox's label remain.
///
/// Probes that cannot run here are reported as skipped, with the reason; nothing is
/// dropped silently. Throws only when the sandbox cannot be created or probed at all.
public struct ProfileVerifier: Sendable {
    public let backend: DockerSandboxBackend
    /// A host the sandbox must reach under a bridge network (resolved on the host).
    public var mirrorHost = "deb.debian.org"
    /// A public address probed as well; informational under a bridge network.
    public var publicAddress = "1.1.1.1"
    /// Path of the runner binary inside every Sandcastle image.
    public var runnerPath = "/usr/local/bin/sandcastle-runner"

    public init(backend: DockerSandboxBackend) {
        self.backend = backend
    }

    public func verify(profile: IsolationProfile, image: String) async throws -> VerifyReport {
        let startedAt = Date()
        let clock = ContinuousClock()
        let begin = clock.now
        let mirrorAddress = await Self.resolveIPv4(mirrorHost)
        var targets = [(label: publicAddress, address: publicAddress, required: false)]
        if let mirrorAddress { targets.append((label: mirrorHost, address: mirrorAddress, required: true)) }
        let expectations = ProbeExpectations(
            profile: profile,
            connectProbes: targets.map { (name: Self.connectName($0.label), requiredUnderBridge: $0.required) })

        let info = try? await backend.docker.info()
        var results: [ProbeResult] = []
        let spec = SandboxSpec(image: image, labels: ["sandcastle.purpose": "verify"])
        let sandbox = try await backend.createSandbox(spec, profile: profile)
        results = try await sandbox.use { sandbox in
            var results: [ProbeResult] = []
            let arguments =
                [runnerPath, "probe", "--timeout-ms=3000"]
                + targets.map { "--connect=\($0.label)@\($0.address):80" }
            let output = try await run(sandbox, arguments, timeout: .seconds(120))
            guard ProbeLine.hasHeader(output.stdoutText) else {
                throw SandboxError(
                    .runnerFailed,
                    """
                    the runner in image \(sandbox.image) has no probe mode (`\(arguments.prefix(2).joined(separator: " "))` \
                    exited \(output.exitCode) without probe output). Rebuild the images with `sandcastle images build`. \
                    \(output.stderrText.prefix(300))
                    """)
            }
            results += expectations.evaluate(ProbeLine.parse(output: output.stdoutText))
            if mirrorAddress == nil {
                results.append(
                    ProbeResult(
                        name: Self.connectName(mirrorHost), category: ProbeCategory.network,
                        expected: profile.network == .none ? "fails (no egress)" : "succeeds (egress allowed)",
                        observed: "skipped", passed: true,
                        detail: "\(mirrorHost) does not resolve on this host, so there is no address to probe", skipped: true))
            }
            results.append(try await forkBomb(sandbox, profile: profile, engineEnforces: info?.pidsLimit ?? true))
            results.append(try await leftoverProcesses(sandbox))
            results += await memoryHog(sandbox, profile: profile, engineEnforces: info?.memoryLimit ?? true)
            return results
        }
        results += try await aftermath(sandboxID: sandbox.id)
        return VerifyReport(
            profile: profile.name, image: sandbox.image, startedAt: startedAt, results: results,
            sandboxID: sandbox.id, durationSeconds: Self.seconds(clock.now - begin),
            engine: info.map(Self.describe) ?? "")
    }

    static func connectName(_ label: String) -> String { "connect(\(label):80)" }

    private func run(_ sandbox: DockerSandbox, _ arguments: [String], timeout: Duration) async throws -> CollectedOutput {
        try await sandbox.run(arguments: arguments, timeout: timeout, maxOutputBytes: 1 << 20)
    }

    // MARK: pids limit

    private func forkBomb(_ sandbox: DockerSandbox, profile: IsolationProfile, engineEnforces: Bool) async throws -> ProbeResult {
        let limit = profile.pidsLimit
        guard limit > 0 else {
            return ProbeResult(
                name: "forkbomb", category: ProbeCategory.limits, expected: "stopped by a pids limit",
                observed: "no pids limit", passed: false,
                detail: "the profile sets no PidsLimit, so a fork bomb would exhaust the host's pids; not run")
        }
        let expected = "fork fails (EAGAIN) below the pids limit of \(limit)"
        guard engineEnforces else {
            return ProbeResult(
                name: "forkbomb", category: ProbeCategory.limits, expected: expected, observed: "skipped",
                passed: true,
                detail: "the engine reports no pids cgroup on this host (Info.PidsLimit=false): "
                    + "PidsLimit is ignored and fork bombs are NOT contained; not run", skipped: true)
        }
        // A cap above the limit: if the limit does not hold, the probe still stops, and fails.
        let output = try await run(
            sandbox, [runnerPath, "probe", "--max-forks=\(limit + 64)", "forkbomb"],
            timeout: .seconds(120))
        guard let line = ProbeLine.parse(output: output.stdoutText).first(where: { $0.name == "forkbomb" }) else {
            return ProbeResult(
                name: "forkbomb", category: ProbeCategory.limits, expected: expected, observed: "no report",
                passed: false, detail: "exit \(output.exitCode) \(output.stderrText.prefix(200))")
        }
        if line.outcome == .skipped {
            return ProbeResult(
                name: "forkbomb", category: ProbeCategory.limits, expected: expected, observed: "skipped",
                passed: true, detail: line.detail, skipped: true)
        }
        let forked = Int64(line.field("forked") ?? "") ?? -1
        let reaped = Int64(line.field("reaped") ?? "") ?? -1
        let passed = line.errno == "EAGAIN" && forked >= 0 && forked < limit && reaped == forked
        let observed = line.errno.map { "\($0) after \(forked) forks" } ?? "\(forked) forks, never refused"
        return ProbeResult(
            name: "forkbomb", category: ProbeCategory.limits, expected: expected, observed: observed,
            passed: passed,
            detail: "\(forked) children forked and \(reaped) reaped; the limit also counts the runner, "
                + "its shell and the prober")
    }

    /// After the probes and the fork bomb, the engine must see only the runner and its shell.
    private func leftoverProcesses(_ sandbox: DockerSandbox) async throws -> ProbeResult {
        let expected = "only the runner and its shell"
        let processes = try await top(containerID: sandbox.containerID)
        let unexpected = processes.filter { command in
            !(command.contains("sandcastle-runner") || command.hasPrefix("/bin/bash") || command.hasPrefix("bash")
                || command.hasPrefix("/bin/sh") || command.hasPrefix("sh "))
        }
        let listing = processes.map { $0.count > 60 ? String($0.prefix(57)) + "…" : $0 }.joined(separator: "; ")
        return ProbeResult(
            name: "processes after probes", category: ProbeCategory.aftermath, expected: expected,
            observed: "\(processes.count) processes", passed: unexpected.isEmpty && !processes.isEmpty,
            detail: "docker top: \(listing)")
    }

    /// The command column of `GET /containers/{id}/top`.
    private func top(containerID: String) async throws -> [String] {
        do {
            return try await backend.docker.topContainer(id: containerID).commands
        } catch {
            throw SandboxError(.engineUnavailable, "cannot list the sandbox's processes: \(error)", cause: error)
        }
    }

    // MARK: memory limit

    /// Runs the memory hog, then checks the engine's report and stops the container
    /// (after this the sandbox is only good for `destroy`).
    private func memoryHog(_ sandbox: DockerSandbox, profile: IsolationProfile, engineEnforces: Bool) async -> [ProbeResult] {
        let mebibyte: Int64 = 1 << 20
        let limit = profile.memoryBytes
        guard limit > 0 else {
            return [
                ProbeResult(
                    name: "memhog", category: ProbeCategory.limits, expected: "killed at a memory limit",
                    observed: "no memory limit", passed: false,
                    detail: "the profile sets no Memory limit, so a memory hog would take the host's memory; not run")
            ]
        }
        let limitMiB = limit / mebibyte
        let expected = "killed by the OOM killer at the \(limitMiB) MiB limit"
        guard engineEnforces else {
            return [
                ProbeResult(
                    name: "memhog", category: ProbeCategory.limits, expected: expected, observed: "skipped",
                    passed: true,
                    detail: "the engine reports no memory cgroup on this host (Info.MemoryLimit=false): "
                        + "the memory limit is ignored; not run", skipped: true)
            ]
        }
        var results: [ProbeResult] = []
        let hogStarted = Date()
        do {
            let output = try await run(
                sandbox, [runnerPath, "probe", "--max-mib=\(limitMiB * 2 + 256)", "memhog"],
                timeout: .seconds(120))
            let reached = ProbeLine.memhogProgress(output.stdoutText).map { "~\($0) MiB" } ?? "less than 64 MiB"
            if output.result.signal == SIGKILL {
                results.append(
                    ProbeResult(
                        name: "memhog", category: ProbeCategory.limits, expected: expected,
                        observed: "SIGKILL after \(reached)", passed: true,
                        detail: "the process was killed; the runner (PID 1) kept serving"))
            } else {
                let line = ProbeLine.parse(output: output.stdoutText).first { $0.name == "memhog" }
                results.append(
                    ProbeResult(
                        name: "memhog", category: ProbeCategory.limits, expected: expected,
                        observed: "exit \(output.exitCode), signal \(output.result.signal)", passed: false,
                        detail: line?.detail ?? "allocated \(reached) without being killed"))
            }
        } catch {
            results.append(
                ProbeResult(
                    name: "memhog", category: ProbeCategory.limits, expected: expected,
                    observed: "sandbox lost", passed: false, detail: "\(error)"))
        }

        // The runner must have survived: a file round trip needs no new process.
        do {
            _ = try await sandbox.stat(path: "/")
            results.append(
                ProbeResult(
                    name: "runner after OOM", category: ProbeCategory.aftermath,
                    expected: "still serving", observed: "serving", passed: true, detail: ""))
        } catch {
            results.append(
                ProbeResult(
                    name: "runner after OOM", category: ProbeCategory.aftermath,
                    expected: "still serving", observed: "gone", passed: false, detail: "\(error)"))
        }

        results.append(await engineOOMReport(sandbox, since: hogStarted))
        return results
    }

    private func engineOOMReport(_ sandbox: DockerSandbox, since: Date) async -> ProbeResult {
        let docker = backend.docker
        let expected = "the engine reports an OOM kill"
        var eventSeen = false
        var notes: [String] = []
        // The engine processes the kernel's notification asynchronously: give it a moment.
        for attempt in 0..<10 where !eventSeen {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(300)) }
            do {
                let filters = DockerFilters(["container": [sandbox.containerID], "event": ["oom"]])
                let events = try await docker.events(since: since.addingTimeInterval(-2), until: Date(), filters: filters)
                for try await event in events where event.action == "oom" { eventSeen = true }
            } catch {
                notes.append("events: \(error)")
                break
            }
        }
        var whileRunning: Bool?
        var afterStop: Bool?
        do {
            whileRunning = try await docker.inspectContainer(id: sandbox.containerID).state.oomKilled
            try await docker.killContainer(id: sandbox.containerID)
            _ = try? await docker.waitContainer(id: sandbox.containerID)
            afterStop = try await docker.inspectContainer(id: sandbox.containerID).state.oomKilled
        } catch {
            notes.append("inspect: \(error)")
        }
        let flag = { (value: Bool?) in value.map(String.init) ?? "unknown" }
        let detail =
            ([
                "event `oom`: \(eventSeen ? "yes" : "no")",
                "State.OOMKilled while running: \(flag(whileRunning))",
                "after the container was stopped: \(flag(afterStop))",
            ] + notes).joined(separator: "; ")
        let reported = eventSeen || whileRunning == true || afterStop == true
        let observed = [eventSeen ? "oom event" : nil, (whileRunning == true || afterStop == true) ? "OOMKilled=true" : nil]
            .compactMap { $0 }.joined(separator: " + ")
        return ProbeResult(
            name: "engine OOM report", category: ProbeCategory.limits, expected: expected,
            observed: reported ? observed : "not reported", passed: reported, detail: detail)
    }

    // MARK: after destroy

    private func aftermath(sandboxID: String) async throws -> [ProbeResult] {
        let docker = backend.docker
        let filters = DockerFilters.label(SandcastleLabels.sandbox, sandboxID)
        let containers = try await docker.listContainers(all: true, filters: filters)
        let volumes = try await docker.listVolumes(filters: filters)
        return [
            ProbeResult(
                name: "container removed", category: ProbeCategory.aftermath, expected: "no container labelled with the sandbox",
                observed: containers.isEmpty ? "none" : "\(containers.count) left", passed: containers.isEmpty,
                detail: containers.map(\.id).joined(separator: ", ")),
            ProbeResult(
                name: "workspace volume removed", category: ProbeCategory.aftermath,
                expected: "no volume labelled with the sandbox",
                observed: volumes.isEmpty ? "none" : "\(volumes.count) left", passed: volumes.isEmpty,
                detail: volumes.map(\.name).joined(separator: ", ")),
        ]
    }

    // MARK: helpers

    /// `Docker 20.10.24, cgroup v1 (cgroupfs), kernel 6.1.0, runc`.
    static func describe(_ info: SystemInfo) -> String {
        var parts = ["Docker \(info.serverVersion ?? "?")"]
        if let version = info.cgroupVersion { parts.append("cgroup v\(version)" + (info.cgroupDriver.map { " (\($0))" } ?? "")) }
        if let kernel = info.kernelVersion { parts.append("kernel \(kernel)") }
        if let runtime = info.defaultRuntime { parts.append(runtime) }
        return parts.joined(separator: ", ")
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The first IPv4 address of `host`, looked up on a thread of its own (getaddrinfo blocks).
    static func resolveIPv4(_ host: String) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            let thread = Thread { continuation.resume(returning: lookupIPv4(host)) }
            thread.start()
        }
    }

    static func lookupIPv4(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if entry.pointee.ai_family == AF_INET, let address = entry.pointee.ai_addr {
                var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
                let converted = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 -> Bool in
                    var raw = ipv4.pointee.sin_addr
                    return inet_ntop(AF_INET, &raw, &text, socklen_t(INET_ADDRSTRLEN)) != nil
                }
                if converted { return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            }
            cursor = entry.pointee.ai_next
        }
        return nil
    }
}
