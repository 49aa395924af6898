import DockerEngine
import Foundation
import Sandbox
import Seccomp

extension AuditReport {
    /// The report as Markdown, with the inline seccomp JSON in the HostConfig abbreviated to its
    /// SHA-256 and size (the JSON output keeps it whole).
    public func markdown() -> String {
        var lines: [String] = []
        func add(_ line: String = "") { lines.append(line) }
        let verdict = passed ? "PASS" : "FAIL"
        add("# Isolation profile audit: `\(profile)` — \(verdict)")
        add()
        add("> \(summary)")
        add()
        add("- profile file: `\(profilePath ?? "(in memory)")`")
        add("- seccomp file: `\(seccompPath)` (\(seccomp.sizeBytes) bytes inline, sha256 `\(seccomp.sha256)`)")
        add(
            "- evaluated on: \(environment.architecture), kernel \(environment.kernel ?? "unknown"), libseccomp \(environment.libseccomp), "
                + "capabilities: \(environment.capabilities.isEmpty ? "none" : environment.capabilities.joined(separator: ", "))")
        add()
        add("## Summary")
        add()
        let blockedGroups = dangerousGroups.filter { $0.status == .blocked }.count
        let failed = checklist.filter { !$0.passed }
        add("| item | value |")
        add("|---|---|")
        add(
            "| allowed syscalls | **\(seccomp.allowed.total)** (\(seccomp.allowed.unconditional.count) unconditional + "
                + "\(seccomp.allowed.argumentFiltered.count) argument-filtered: \(seccomp.allowed.argumentFiltered.joined(separator: ", "))) |")
        add(
            "| BPF program | **\(seccomp.bpfInstructions) instructions** (\(seccomp.bpfBytes) bytes) for "
                + "\(seccomp.architectures.joined(separator: " + ")) |")
        add(
            "| allowed here, blocked by Docker's default | **\(dockerDefault.allowedHereBlockedByDocker.count)**"
                + "\(dockerDefault.allowedHereBlockedByDocker.isEmpty ? "" : ": " + dockerDefault.allowedHereBlockedByDocker.joined(separator: ", ")) |")
        add("| blocked here, allowed by Docker's default | \(dockerDefault.blockedHereAllowedByDocker.count) |")
        add(
            "| dangerous groups | \(blockedGroups) of \(dangerousGroups.count) blocked"
                + "\(blockedGroups == dangerousGroups.count ? "" : "; open: " + dangerousGroups.filter { $0.status != .blocked }.map { "\($0.id) (\($0.status.rawValue))" }.joined(separator: ", ")) |"
        )
        add(
            "| host checklist | \(checklist.count - failed.count)/\(checklist.count) pass"
                + "\(failed.isEmpty ? "" : "; failed: " + failed.map(\.id).joined(separator: ", ")) |")
        add()

        add("## Container settings")
        add()
        add("| setting | value |")
        add("|---|---|")
        add(
            "| capabilities | drop \(container.capabilitiesDropped.joined(separator: ", ")); add "
                + "\(container.capabilitiesAdded.isEmpty ? "none" : "**" + container.capabilitiesAdded.joined(separator: ", ") + "** (flagged)") |")
        add("| user | `\(container.user)` |")
        add("| root filesystem | \(container.readOnlyRootFilesystem ? "read-only" : "**writable**") |")
        add("| no-new-privileges | \(container.noNewPrivileges ? "yes" : "**no**") |")
        add("| network | `\(hostConfig.networkMode ?? "default")`\(container.networkDisabled ? " (networking disabled)" : "") |")
        add("| pids | \(container.limits.pids.map(String.init) ?? "unlimited") |")
        add(
            "| memory | \(container.limits.memoryBytes.map(Self.bytes) ?? "unlimited") (swap total \(container.limits.memorySwapBytes.map(Self.bytes) ?? "default")) |"
        )
        add("| CPU | \(container.limits.nanoCPUs.map { String(format: "%.2f CPUs", Double($0) / 1e9) } ?? "unlimited") |")
        add("| ulimits | \(container.limits.ulimits.joined(separator: ", ")) |")
        add(
            "| masked paths | \(container.maskedPaths.map { "Docker's defaults + " + extraPaths($0, over: DockerPathDefaults.maskedPaths) } ?? "Docker's defaults") |"
        )
        add(
            "| read-only paths | \(container.readonlyPaths.map { "Docker's defaults + " + extraPaths($0, over: DockerPathDefaults.readonlyPaths) } ?? "Docker's defaults") |"
        )
        add()
        add("| mount | type | source | options |")
        add("|---|---|---|---|")
        for mount in container.mounts {
            add(
                "| `\(mount.target)` | \(mount.type) | \(mount.source ?? (mount.type == "volume" ? "anonymous volume, removed with the sandbox" : "-")) "
                    + "| \(mount.options ?? (mount.readOnly ? "ro" : "rw")) |")
        }
        add()

        add("## HostConfig sent to Docker")
        add()
        add("The seccomp profile is sent inline in `SecurityOpt`; here it is abbreviated (`--json` shows it whole).")
        add()
        add("```json")
        add(abbreviatedHostConfig())
        add("```")
        add()

        add("## Seccomp compared with Docker's default")
        add()
        add("Reference: \(dockerDefault.reference).")
        add()
        add(
            "- **Allowed here but blocked by Docker's default: \(dockerDefault.allowedHereBlockedByDocker.count)**"
                + (dockerDefault.allowedHereBlockedByDocker.isEmpty ? "" : " — " + dockerDefault.allowedHereBlockedByDocker.joined(separator: ", ")))
        add(
            "- Blocked here but allowed by Docker's default: \(dockerDefault.blockedHereAllowedByDocker.count)"
                + (dockerDefault.blockedHereAllowedByDocker.isEmpty ? "" : " — " + dockerDefault.blockedHereAllowedByDocker.joined(separator: ", ")))
        if !dockerDefault.argumentFilters.isEmpty {
            add()
            add("| argument-filtered | here | Docker's default | verdict |")
            add("|---|---|---|---|")
            for filter in dockerDefault.argumentFilters {
                let verdict =
                    filter.identical
                    ? "identical on \(filter.witnessCount) witnesses"
                    : filter.allowedOnlyByA != nil
                        ? "**looser here**, e.g. args \(Self.arguments(filter.allowedOnlyByA))"
                        : "stricter here, e.g. Docker allows args \(Self.arguments(filter.allowedOnlyByB))"
                add("| \(filter.name) | `\(filter.conditionA)` | `\(filter.conditionB)` | \(verdict) |")
            }
        }
        if !dockerDefault.differentDenials.isEmpty {
            add()
            add(
                "Denied by both, differently: "
                    + dockerDefault.differentDenials.map { "\($0.name) (here \($0.actionA.shortName), Docker \($0.actionB.shortName))" }
                    .joined(separator: "; "))
        }
        if !seccomp.explicitDenials.isEmpty {
            add()
            add(
                "Explicit denials with their own errno: "
                    + seccomp.explicitDenials.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
                    .joined(separator: ", "))
        }
        if !seccomp.namesUnknownToLibseccomp.isEmpty {
            add()
            add(
                "Names newer than this host's libseccomp (left out of the filter by runc; the calls get ENOSYS): "
                    + seccomp.namesUnknownToLibseccomp.joined(separator: ", "))
        }
        add()

        add("## Dangerous syscall groups")
        add()
        add("| group | status | details |")
        add("|---|---|---|")
        for group in dangerousGroups {
            let status = group.status == .blocked ? "blocked" : "**\(group.status.rawValue)**"
            let details = group.probes.map { probe -> String in
                switch probe.status {
                case .blocked: return "\(probe.label): \(probe.action?.shortName ?? "blocked")"
                case .allowed: return "**\(probe.label): allowed**"
                case .argumentFiltered: return "\(probe.label): allowed if `\(probe.condition ?? "?")`"
                }
            }.joined(separator: "; ")
            add("| \(group.title) | \(status) | \(details) |")
        }
        add()

        add("## Host-side checklist (docker-bench-security section 5)")
        add()
        add("| id | check | result | found |")
        add("|---|---|---|---|")
        for check in checklist {
            add("| \(check.id) | \(check.title) | \(check.passed ? "pass" : "**FAIL**") | \(check.detail) |")
        }
        if !seccomp.validationWarnings.isEmpty {
            add()
            add("## Validation warnings")
            add()
            for warning in seccomp.validationWarnings { add("- \(warning)") }
        }
        add()
        return lines.joined(separator: "\n")
    }

    /// The HostConfig as pretty JSON with `seccomp=<profile>` replaced by its digest and size.
    public func abbreviatedHostConfig() -> String {
        var config = hostConfig
        config.securityOpt = config.securityOpt?.map { option in
            guard option.hasPrefix("seccomp=") else { return option }
            return "seccomp=<inline profile: \(option.utf8.count - 8) bytes, sha256 \(seccomp.sha256)>"
        }
        return (try? ProfileAuditor.engineJSON(config, pretty: true)) ?? "\(config)"
    }

    static func bytes(_ value: Int64) -> String {
        for (unit, size) in [("GiB", Int64(1) << 30), ("MiB", Int64(1) << 20), ("KiB", Int64(1) << 10)] where value >= size && value % size == 0 {
            return "\(value / size) \(unit)"
        }
        return "\(value) bytes"
    }

    static func arguments(_ values: [UInt64]?) -> String {
        guard let values else { return "-" }
        let trimmed = values.reversed().drop { $0 == 0 }.reversed()
        return "(" + (trimmed.isEmpty ? ["0"] : trimmed.map { "0x" + String($0, radix: 16) }).joined(separator: ", ") + ")"
    }

    /// The paths of a full list sent to the engine that are not Docker's defaults.
    private func extraPaths(_ paths: [String], over defaults: [String]) -> String {
        let known = Set(defaults)
        return paths.filter { !known.contains($0) && !$0.hasSuffix("/thermal_throttle") }.map { "`\($0)`" }.joined(separator: ", ")
    }
}
