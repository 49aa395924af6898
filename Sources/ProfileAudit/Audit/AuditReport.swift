import DockerEngine
import Seccomp

/// A static audit of one isolation profile: what the engine is sent, what the seccomp filter
/// allows compared with Docker's default, the dangerous syscall groups, and a host-side checklist
/// in the spirit of docker-bench-security section 5.
///
/// Encodes to JSON for `--json` (with the seccomp profile inline in ``hostConfig``);
/// ``markdown()`` renders a report a reviewer can paste into a ticket.
public struct AuditReport: Sendable, Codable {
    public var profile: String
    public var summary: String
    public var profilePath: String?
    public var seccompPath: String
    public var environment: AuditEnvironment
    /// The exact `HostConfig` the Docker backend sends for this profile (no named workspace).
    public var hostConfig: HostConfig
    /// Container-level settings outside `HostConfig`.
    public var container: ContainerSettings
    public var seccomp: SeccompSummary
    public var dockerDefault: DockerComparison
    public var dangerousGroups: [GroupEvaluation]
    public var checklist: [CheckResult]

    /// No failed check and nothing allowed that Docker's default blocks.
    public var passed: Bool {
        checklist.allSatisfy(\.passed) && dockerDefault.allowedHereBlockedByDocker.isEmpty
    }

    enum CodingKeys: String, CodingKey {
        case profile, summary, profilePath, seccompPath, environment, hostConfig, container, seccomp, dockerDefault
        case dangerousGroups, checklist, passed
    }

    public init(
        profile: String, summary: String, profilePath: String?, seccompPath: String, environment: AuditEnvironment,
        hostConfig: HostConfig, container: ContainerSettings, seccomp: SeccompSummary, dockerDefault: DockerComparison,
        dangerousGroups: [GroupEvaluation], checklist: [CheckResult]
    ) {
        self.profile = profile
        self.summary = summary
        self.profilePath = profilePath
        self.seccompPath = seccompPath
        self.environment = environment
        self.hostConfig = hostConfig
        self.container = container
        self.seccomp = seccomp
        self.dockerDefault = dockerDefault
        self.dangerousGroups = dangerousGroups
        self.checklist = checklist
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        profile = try c.decode(String.self, forKey: .profile)
        summary = try c.decode(String.self, forKey: .summary)
        profilePath = try c.decodeIfPresent(String.self, forKey: .profilePath)
        seccompPath = try c.decode(String.self, forKey: .seccompPath)
        environment = try c.decode(AuditEnvironment.self, forKey: .environment)
        hostConfig = try c.decode(HostConfig.self, forKey: .hostConfig)
        container = try c.decode(ContainerSettings.self, forKey: .container)
        seccomp = try c.decode(SeccompSummary.self, forKey: .seccomp)
        dockerDefault = try c.decode(DockerComparison.self, forKey: .dockerDefault)
        dangerousGroups = try c.decode([GroupEvaluation].self, forKey: .dangerousGroups)
        checklist = try c.decode([CheckResult].self, forKey: .checklist)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(profile, forKey: .profile)
        try c.encode(summary, forKey: .summary)
        try c.encodeIfPresent(profilePath, forKey: .profilePath)
        try c.encode(seccompPath, forKey: .seccompPath)
        try c.encode(environment, forKey: .environment)
        try c.encode(hostConfig, forKey: .hostConfig)
        try c.encode(container, forKey: .container)
        try c.encode(seccomp, forKey: .seccomp)
        try c.encode(dockerDefault, forKey: .dockerDefault)
        try c.encode(dangerousGroups, forKey: .dangerousGroups)
        try c.encode(checklist, forKey: .checklist)
        try c.encode(passed, forKey: .passed)
    }
}

/// Where the audit ran: seccomp answers depend on the architecture, kernel and libseccomp.
public struct AuditEnvironment: Sendable, Codable {
    public var architecture: String
    public var kernel: String?
    public var libseccomp: String
    /// Capabilities the filter was expanded for (the profile's additions; the rest are dropped).
    public var capabilities: [String]
}

/// Settings the backend puts in the container config rather than the HostConfig.
public struct ContainerSettings: Sendable, Codable {
    public var user: String
    public var networkDisabled: Bool
    public var capabilitiesDropped: [String]
    public var capabilitiesAdded: [String]
    public var readOnlyRootFilesystem: Bool
    public var noNewPrivileges: Bool
    public var mounts: [MountSummary]
    public var limits: LimitsSummary
    /// nil: Docker's defaults.
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
}

/// One filesystem mount of the sandbox.
public struct MountSummary: Sendable, Codable {
    public var target: String
    /// `volume`, `tmpfs`, `bind`.
    public var type: String
    /// Volume name (nil: anonymous, removed with the container) or host path.
    public var source: String?
    public var readOnly: Bool
    public var options: String?
}

/// Resource limits.
public struct LimitsSummary: Sendable, Codable {
    public var pids: Int64?
    public var memoryBytes: Int64?
    public var memorySwapBytes: Int64?
    public var nanoCPUs: Int64?
    public var ulimits: [String]
}

/// The seccomp filter as the kernel will see it.
public struct SeccompSummary: Sendable, Codable {
    public var sha256: String
    public var sizeBytes: Int
    public var defaultAction: String
    /// Architectures the compiled filter covers.
    public var architectures: [String]
    public var allowed: AllowedSyscalls
    /// Argument-filtered names with the condition under which each is allowed.
    public var argumentConditions: [String: String]
    /// Explicit non-default denials, e.g. `clone3` → ENOSYS.
    public var explicitDenials: [String: String]
    public var bpfInstructions: Int
    public var bpfBytes: Int
    /// Names libseccomp on this host does not know; runc leaves them out of the filter.
    public var namesUnknownToLibseccomp: [String]
    public var validationWarnings: [String]
}

/// The profile against Docker's default profile (no capabilities, amd64).
public struct DockerComparison: Sendable, Codable {
    public var reference: String
    /// Names this profile lets through in some case Docker's default refuses (blocked there, or a
    /// looser argument filter). Must be empty for shipped profiles.
    public var allowedHereBlockedByDocker: [String]
    /// Names this profile blocks whatever the arguments and Docker's default allows in some case
    /// (stricter argument filters are in ``argumentFilters``).
    public var blockedHereAllowedByDocker: [String]
    /// Names argument-filtered on either side, compared on witness arguments.
    public var argumentFilters: [ArgumentFilterComparison]
    public var differentDenials: [DenialDifference]
}

/// One host-side check.
public struct CheckResult: Sendable, Codable {
    /// docker-bench-security's id (section 4/5) or `sandcastle.*` for our own.
    public var id: String
    public var title: String
    public var passed: Bool
    /// What was found.
    public var detail: String

    public init(id: String, title: String, passed: Bool, detail: String) {
        self.id = id
        self.title = title
        self.passed = passed
        self.detail = detail
    }
}
