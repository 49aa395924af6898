import Crypto
import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import Seccomp

/// Builds an ``AuditReport`` for a profile without starting anything: the audit is static,
/// from the same values the Docker backend sends (`IsolationProfile.hostConfig`).
public struct ProfileAuditor: Sendable {
    public init() {}

    /// Audits `profile` on this host (native architecture, running kernel, installed libseccomp).
    public func audit(_ profile: IsolationProfile) throws -> AuditReport {
        let document = try SeccompDocument.parse(profile.seccompJSON, file: profile.seccompPath)
        // Validate from the file when it still holds what was loaded, so findings carry its lines and columns.
        let onDisk = (try? SeccompDocument.load(path: profile.seccompPath)).flatMap { file in
            (try? file.compactJSON()) == profile.seccompJSON ? file : nil
        }
        let validation = (onDisk ?? document).validate()
        try validation.throwIfInvalid(file: profile.seccompPath)
        let capabilities = Set(profile.addedCapabilities.map(EvaluationContext.canonicalCapability))
        let context = EvaluationContext.host(capabilities: capabilities)
        let expanded = document.profile.expanded(for: context)
        let filter = try BPFCompiler().compile(document.profile, context: context)
        let allowed = expanded.allowedSyscalls

        var explicitDenials: [String: String] = [:]
        for rule in expanded.rules where !rule.action.allowsCall && rule.action != expanded.defaultAction {
            for name in rule.names { explicitDenials[name] = rule.action.shortName }
        }
        let seccomp = SeccompSummary(
            sha256: SHA256.hash(data: Array(profile.seccompJSON.utf8)).hex, sizeBytes: profile.seccompJSON.utf8.count,
            defaultAction: expanded.defaultAction.description, architectures: filter.architectures.map(\.scmpName),
            allowed: allowed,
            argumentConditions: Dictionary(uniqueKeysWithValues: allowed.argumentFiltered.map { ($0, expanded.allowCondition(for: $0)) }),
            explicitDenials: explicitDenials, bpfInstructions: filter.instructionCount, bpfBytes: filter.bytes.count,
            namesUnknownToLibseccomp: filter.skippedUnknownNames, validationWarnings: validation.warnings.map(\.description))

        // The reference is Docker's default expanded for amd64; compare names in that context
        // whatever this host is, with the profile's own capabilities.
        let comparisonContext = EvaluationContext(architecture: .x86_64, capabilities: capabilities, kernel: context.kernel)
        let diff = ProfileDiff(
            document.profile, named: profile.name, DockerDefaultReference.profile, named: "docker-default",
            context: comparisonContext)
        let comparison = DockerComparison(
            reference: DockerDefaultReference.provenance,
            allowedHereBlockedByDocker: diff.looserInA,
            blockedHereAllowedByDocker: diff.allowedOnlyInB.map(\.name),
            argumentFilters: diff.argumentFiltered, differentDenials: diff.differentDenials)

        let hostConfig = profile.hostConfig()
        let container = ContainerSettings(
            user: profile.user, networkDisabled: profile.network == .none, capabilitiesDropped: hostConfig.capDrop ?? [],
            capabilitiesAdded: hostConfig.capAdd ?? [], readOnlyRootFilesystem: hostConfig.readonlyRootfs ?? false,
            noNewPrivileges: profile.noNewPrivileges, mounts: Self.mounts(of: hostConfig),
            limits: LimitsSummary(
                pids: hostConfig.pidsLimit, memoryBytes: hostConfig.memory, memorySwapBytes: hostConfig.memorySwap,
                nanoCPUs: hostConfig.nanoCpus,
                ulimits: (hostConfig.ulimits ?? []).map { "\($0.name)=\($0.soft):\($0.hard)" }),
            maskedPaths: hostConfig.maskedPaths, readonlyPaths: hostConfig.readonlyPaths)

        return AuditReport(
            profile: profile.name, summary: profile.summary, profilePath: profile.profilePath, seccompPath: profile.seccompPath,
            environment: AuditEnvironment(
                architecture: Architecture.native.scmpName, kernel: KernelVersion.host?.description,
                libseccomp: SyscallTable.libseccompVersion, capabilities: capabilities.sorted()),
            hostConfig: hostConfig, container: container, seccomp: seccomp, dockerDefault: comparison,
            dangerousGroups: DangerousGroups.evaluate(expanded),
            checklist: HostChecklist.evaluate(hostConfig, user: profile.user))
    }

    /// Compiles the profile's filter for this host, for `--emit-bpf`.
    public func compileFilter(_ profile: IsolationProfile) throws -> CompiledFilter {
        let capabilities = Set(profile.addedCapabilities.map(EvaluationContext.canonicalCapability))
        return try BPFCompiler().compile(try profile.seccompProfile(), context: .host(capabilities: capabilities))
    }

    static func mounts(of config: HostConfig) -> [MountSummary] {
        var result = (config.mounts ?? []).map {
            MountSummary(target: $0.target, type: $0.type.rawValue, source: $0.source, readOnly: $0.readOnly ?? false, options: nil)
        }
        result += (config.tmpfs ?? [:]).sorted { $0.key < $1.key }.map {
            MountSummary(target: $0.key, type: "tmpfs", source: nil, readOnly: false, options: $0.value)
        }
        result += (config.binds ?? []).map { bind in
            let parts = bind.split(separator: ":").map(String.init)
            return MountSummary(
                target: parts.count > 1 ? parts[1] : bind, type: "bind", source: parts.first,
                readOnly: parts.count > 2 && parts[2].split(separator: ",").contains("ro"), options: nil)
        }
        return result
    }

    /// The JSON encoder the Docker client uses (sorted keys), so the HostConfig shown is byte-for-byte
    /// what goes over the socket.
    public static func engineJSON<T: Encodable>(_ value: T, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
