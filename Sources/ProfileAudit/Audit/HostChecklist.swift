import DockerEngine

/// Host-side checks on the `HostConfig` a profile produces, in the spirit of
/// docker-bench-security's section 5 (`tests/5_container_runtime.sh`), which runs the same
/// checks on `docker inspect` output. Ids are docker-bench's where one exists.
public enum HostChecklist {
    /// Host paths that must never be bind-mounted into a sandbox (docker-bench 5.6).
    static let sensitivePaths = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr", "/var/lib/docker", "/run", "/var/run"]

    /// Every check, pass or fail.
    public static func evaluate(_ config: HostConfig, user: String) -> [CheckResult] {
        let securityOptions = config.securityOpt ?? []
        let seccompOptions = securityOptions.filter { $0.hasPrefix("seccomp=") || $0.hasPrefix("seccomp:") }
        let sources =
            (config.mounts ?? []).compactMap { $0.type == .bind ? $0.source : nil }
            + (config.binds ?? []).compactMap { $0.split(separator: ":").first.map(String.init) }
        func namespace(_ id: String, _ name: String, _ mode: String?) -> CheckResult {
            CheckResult(
                id: id, title: "host \(name) namespace not shared", passed: mode != "host",
                detail: mode.map { "\(name) mode \($0)" } ?? "\(name) mode not set (engine default: private)")
        }
        let users = user.split(separator: ":").map(String.init)
        let isRoot = users.first.map { $0 == "0" || $0 == "root" } ?? true

        return [
            CheckResult(id: "4.1", title: "runs as a non-root user", passed: !isRoot, detail: "User \(user)"),
            CheckResult(
                id: "5.4", title: "no capabilities added (CapAdd)", passed: (config.capAdd ?? []).isEmpty,
                detail: (config.capAdd ?? []).isEmpty
                    ? "CapAdd empty"
                    : "CapAdd \((config.capAdd ?? []).joined(separator: ", ")): each one widens what the sandbox can do, "
                        + "and Docker unlocks seccomp rules gated on it"),
            CheckResult(
                id: "sandcastle.capdrop", title: "all capabilities dropped (CapDrop ALL)",
                passed: (config.capDrop ?? []).contains { $0.uppercased() == "ALL" },
                detail: "CapDrop \((config.capDrop ?? []).joined(separator: ", "))"),
            CheckResult(
                id: "5.5", title: "not privileged", passed: config.privileged != true,
                detail: "Privileged \(config.privileged.map(String.init) ?? "not set")"),
            CheckResult(
                id: "5.22", title: "seccomp not unconfined",
                passed: !seccompOptions.isEmpty && !seccompOptions.contains { $0.hasSuffix("=unconfined") || $0.hasSuffix(":unconfined") },
                detail: seccompOptions.isEmpty
                    ? "no seccomp option: the engine's default profile applies"
                    : seccompOptions.contains { $0.hasSuffix("unconfined") }
                        ? "seccomp=unconfined"
                        : "seccomp profile sent inline (\(seccompOptions[0].utf8.count - 8) bytes)"),
            CheckResult(
                id: "5.26", title: "no-new-privileges set",
                passed: securityOptions.contains { $0 == "no-new-privileges" || $0 == "no-new-privileges:true" || $0 == "no-new-privileges=true" },
                detail: securityOptions.filter { $0.hasPrefix("no-new-privileges") }.first ?? "not set"),
            CheckResult(
                id: "5.13", title: "root filesystem read-only", passed: config.readonlyRootfs == true,
                detail: "ReadonlyRootfs \(config.readonlyRootfs.map(String.init) ?? "not set")"),
            CheckResult(
                id: "5.11", title: "memory limited", passed: (config.memory ?? 0) > 0,
                detail: "Memory \(config.memory.map(String.init) ?? "not set"), MemorySwap \(config.memorySwap.map(String.init) ?? "not set")"),
            CheckResult(
                id: "sandcastle.swap", title: "no swap beyond the memory limit", passed: config.memorySwap != nil && config.memorySwap == config.memory,
                detail: "MemorySwap \(config.memorySwap.map(String.init) ?? "not set") vs Memory \(config.memory.map(String.init) ?? "not set")"),
            CheckResult(
                id: "5.12", title: "CPU limited", passed: (config.nanoCpus ?? 0) > 0 || (config.cpuQuota ?? 0) > 0 || (config.cpuShares ?? 0) > 0,
                detail: "NanoCpus \(config.nanoCpus.map(String.init) ?? "not set")"),
            CheckResult(
                id: "5.29", title: "pids limited", passed: (config.pidsLimit ?? 0) > 0,
                detail: "PidsLimit \(config.pidsLimit.map(String.init) ?? "not set")"),
            namespace("5.10", "network", config.networkMode),
            namespace("5.16", "PID", config.pidMode),
            namespace("5.17", "IPC", config.ipcMode),
            CheckResult(
                id: "5.21", title: "host UTS namespace not shared", passed: true,
                detail: "UTSMode is not part of the HostConfig Sandcastle sends (engine default: private)"),
            namespace("5.31", "user", config.usernsMode),
            CheckResult(
                id: "5.32", title: "Docker socket not mounted",
                passed: !sources.contains { $0.hasSuffix("docker.sock") || $0.hasSuffix("containerd.sock") },
                detail: sources.isEmpty ? "no bind mounts" : "bind mounts: \(sources.joined(separator: ", "))"),
            CheckResult(
                id: "5.6", title: "no sensitive host directories mounted",
                passed: !sources.contains { source in sensitivePaths.contains { source == $0 || ($0 != "/" && source.hasPrefix($0 + "/")) } },
                detail: sources.isEmpty ? "no bind mounts" : "bind mounts: \(sources.joined(separator: ", "))"),
            CheckResult(
                id: "5.18", title: "no host devices", passed: (config.devices ?? []).isEmpty,
                detail: (config.devices ?? []).isEmpty
                    ? "Devices empty"
                    : "Devices \((config.devices ?? []).map(\.pathOnHost).joined(separator: ", "))"),
            CheckResult(
                id: "5.25", title: "default cgroup parent", passed: true,
                detail: "CgroupParent is not part of the HostConfig Sandcastle sends"),
        ]
    }
}
