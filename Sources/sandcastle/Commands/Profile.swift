import ArgumentParser
import DockerEngine
import Foundation
import ProfileAudit
import Sandbox
import SandboxDocker
import Seccomp

struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "List, validate, audit, diff and verify isolation profiles.",
        discussion: """
            Shipped profiles live in seccomp/profiles/; custom ones in $SANDCASTLE_PROFILES_DIR, \
            else ~/.config/sandcastle/profiles. The format is described in seccomp/README.md.
            """,
        subcommands: [
            ProfileList.self, ProfileShow.self, ProfileValidate.self, ProfileAudit.self, ProfileDiffCommand.self,
            ProfileVerify.self,
        ])
}

struct ProfileList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the shipped and custom profiles.")

    func run() async throws {
        let catalog = try ProfileCatalog()
        let listings = catalog.list()
        Console.print(ProfileText.row(["NAME", "ORIGIN", "NETWORK", "PIDS", "MEMORY", "CPUS", "SECCOMP", "DESCRIPTION"]))
        for listing in listings {
            guard let profile = listing.profile else {
                Console.print(
                    ProfileText.row([
                        listing.name, listing.origin.rawValue, "-", "-", "-", "-", "-",
                        "INVALID: \(listing.error ?? "unknown error")",
                    ]))
                continue
            }
            Console.print(
                ProfileText.row([
                    profile.name, listing.origin.rawValue, profile.network.rawValue, String(profile.pidsLimit),
                    ProfileText.bytes(profile.memoryBytes), ProfileText.cpus(profile.nanoCPUs),
                    (profile.seccompPath as NSString).lastPathComponent, profile.summary,
                ]))
        }
        if let custom = catalog.customDirectory {
            Console.print("custom profiles folder: \(custom)\(FileManager.default.fileExists(atPath: custom) ? "" : " (does not exist)")")
        }
        if listings.contains(where: { $0.profile == nil }) { throw ExitCode(1) }
    }
}

struct ProfileShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a profile's settings.")

    @Argument(help: "Profile name or profile file.")
    var name: String

    func run() async throws {
        let profile = try ProfileText.isolationProfile(name)
        Console.print(
            """
            name:              \(profile.name)
            description:       \(profile.summary)
            profile file:      \(profile.profilePath ?? "-")
            seccomp:           \(profile.seccompPath)
            capabilities:      drop ALL, add \(profile.addedCapabilities.isEmpty ? "none" : profile.addedCapabilities.joined(separator: ", "))
            user:              \(profile.user)
            read-only root:    \(profile.readOnlyRootFilesystem)
            no-new-privileges: \(profile.noNewPrivileges)
            network:           \(profile.network.rawValue)
            pids limit:        \(profile.pidsLimit)
            memory:            \(ProfileText.bytes(profile.memoryBytes)) (no swap)
            CPUs:              \(ProfileText.cpus(profile.nanoCPUs))
            tmpfs:             \(profile.tmpfs.map { "\($0.path) \(ProfileText.bytes($0.sizeBytes)) \($0.options.joined(separator: ","))" }.joined(separator: "; "))
            ulimits:           \(profile.ulimits.map { "\($0.name)=\($0.soft):\($0.hard)" }.joined(separator: ", "))
            masked paths:      \(profile.maskedPaths.map { "\($0.count) (Docker's defaults + extras)" } ?? "Docker's defaults")
            read-only paths:   \(profile.readonlyPaths.map { "\($0.count) (Docker's defaults + extras)" } ?? "Docker's defaults")
            """)
    }
}

struct ProfileValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Validate a profile (by name or file) or a seccomp filter file; exit 1 when invalid.",
        discussion: """
            Every syscall name is resolved with libseccomp for every architecture of the filter; unknown names, \
            actions, operators and argument indices are errors with file:line:column. The filter is then compiled.
            """)

    @Argument(help: "Profile name, profile file, or seccomp filter file.")
    var target: String

    func run() async throws {
        if ProfileText.isSeccompFile(target) {
            let document = try SeccompDocument.load(path: target)
            let report = document.validate()
            for issue in report.issues { Console.print(issue.description) }
            guard report.isValid else {
                Console.print("\(target): INVALID (\(report.errors.count) error(s), \(report.warnings.count) warning(s))")
                throw ExitCode(1)
            }
            let filter = try BPFCompiler().compile(document.profile)
            Console.print(
                "\(target): valid seccomp filter: \(report.nameCount) syscall names checked for "
                    + "\(report.architectures.joined(separator: ", ")) with libseccomp \(report.libseccompVersion); "
                    + "BPF \(filter.instructionCount) instructions; \(report.warnings.count) warning(s)")
            return
        }
        let profile: IsolationProfile
        do {
            profile = try ProfileText.isolationProfile(target)
        } catch let error as SandboxError {
            Console.print(error.message)
            if let seccompError = error.cause as? SeccompError, seccompError.issues.count > 1 {
                for issue in seccompError.issues where issue.severity == .warning { Console.print(issue.description) }
            }
            Console.print("\(target): INVALID")
            throw ExitCode(1)
        }
        // Re-read from the file so warnings carry the file's lines and columns.
        let report = try SeccompDocument.load(path: profile.seccompPath).validate()
        for issue in report.warnings { Console.print(issue.description) }
        let filter = try ProfileAuditor().compileFilter(profile)
        Console.print(
            "\(profile.name): valid isolation profile (\(profile.profilePath ?? target)); seccomp \(profile.seccompPath): "
                + "\(report.nameCount) names checked for \(report.architectures.joined(separator: ", ")), "
                + "BPF \(filter.instructionCount) instructions; \(report.warnings.count) warning(s)")
    }
}

struct ProfileAudit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Static audit of a profile: HostConfig, seccomp vs Docker's default, dangerous groups, host checklist.",
        discussion: "Markdown by default. Exit status 1 when a check fails or the profile allows a syscall Docker's default blocks.")

    @Argument(help: "Profile name or profile file.")
    var name: String

    @Flag(name: .long, help: "Print the report as JSON (the inline seccomp profile included).")
    var json = false

    @Option(name: .long, help: "Write the compiled BPF filter (raw sock_filter array, native architecture) to FILE.")
    var emitBpf: String?

    func run() async throws {
        let profile = try ProfileText.isolationProfile(name)
        let auditor = ProfileAuditor()
        let report = try auditor.audit(profile)
        if let emitBpf {
            let filter = try auditor.compileFilter(profile)
            try filter.write(to: emitBpf)
            Console.error("wrote \(filter.instructionCount) BPF instructions (\(filter.bytes.count) bytes) to \(emitBpf)")
        }
        Console.print(json ? try ProfileAuditor.engineJSON(report, pretty: true) : report.markdown())
        if !report.passed { throw ExitCode(1) }
    }
}

struct ProfileDiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Syscalls allowed by A and not B, and the reverse; argument filters compared on witness arguments.",
        discussion: "A and B are profile names, profile files, seccomp filter files, or docker-default (Docker's default profile, no capabilities, amd64).")

    @Argument(help: "Profile A.")
    var a: String

    @Argument(help: "Profile B.")
    var b: String

    @Flag(name: .long, help: "Print the diff as JSON.")
    var json = false

    struct Output: Encodable {
        var seccomp: ProfileDiff
        var settings: [ProfileText.SettingDifference]
    }

    func run() async throws {
        let left = try ProfileText.comparable(a)
        let right = try ProfileText.comparable(b)
        let capabilities = Set((left.isolation?.addedCapabilities ?? []) + (right.isolation?.addedCapabilities ?? []))
        let diff = ProfileDiff(
            left.seccomp, named: left.name, right.seccomp, named: right.name,
            context: .host(capabilities: capabilities))
        let settings = ProfileText.settingDifferences(left.isolation, right.isolation)
        if json {
            Console.print(try ProfileAuditor.engineJSON(Output(seccomp: diff, settings: settings), pretty: true))
            return
        }
        var lines = ["# \(diff.nameA) vs \(diff.nameB)", ""]
        lines.append("Allowed by \(diff.nameA), blocked by \(diff.nameB): \(diff.allowedOnlyInA.count)")
        lines += diff.allowedOnlyInA.map { "  + \($0.name)\($0.condition.map { " (only if \($0))" } ?? "")" }
        lines.append("Allowed by \(diff.nameB), blocked by \(diff.nameA): \(diff.allowedOnlyInB.count)")
        lines += diff.allowedOnlyInB.map { "  - \($0.name)\($0.condition.map { " (only if \($0))" } ?? "")" }
        lines.append("Argument-filtered: \(diff.argumentFiltered.count)")
        for filter in diff.argumentFiltered {
            let verdict =
                filter.identical
                ? "identical on \(filter.witnessCount) witnesses"
                : [
                    filter.allowedOnlyByA.map { "\(diff.nameA) looser, e.g. args \(ProfileText.arguments($0))" },
                    filter.allowedOnlyByB.map { "\(diff.nameB) looser, e.g. args \(ProfileText.arguments($0))" },
                ]
                .compactMap { $0 }.joined(separator: "; ")
            lines.append("  ~ \(filter.name): \(verdict)")
            lines.append("      \(diff.nameA): \(filter.conditionA)")
            lines.append("      \(diff.nameB): \(filter.conditionB)")
        }
        if !diff.differentDenials.isEmpty {
            lines.append("Denied by both, differently: \(diff.differentDenials.count)")
            lines += diff.differentDenials.map { "  ! \($0.name): \(diff.nameA) \($0.actionA.shortName), \(diff.nameB) \($0.actionB.shortName)" }
        }
        if !settings.isEmpty {
            lines.append("Settings:")
            lines += settings.map { "  \($0.setting): \(diff.nameA) \($0.a) | \(diff.nameB) \($0.b)" }
        }
        Console.print(lines.joined(separator: "\n"))
    }
}

struct ProfileVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Start a live sandbox under a profile and prove its isolation with probes; exit 1 on any mismatch.")

    @Argument(help: "Profile name or profile file.")
    var name: String

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .long, help: "Image to verify in: base, python, node, agent, or any image name.")
    var image = "base"

    func run() async throws {
        let profile = try ProfileText.isolationProfile(name)
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let report = try await ProfileVerifier(backend: backend).verify(profile: profile, image: image)
        Console.print(json ? try ProfileAuditor.engineJSON(report, pretty: true) : report.markdown())
        if !report.passed { throw ExitCode(1) }
    }
}

/// Shared helpers for the profile commands.
enum ProfileText {
    /// A name from the catalog, or a path to a profile file.
    static func isolationProfile(_ nameOrPath: String) throws -> IsolationProfile {
        let catalog = try ProfileCatalog()
        if looksLikePath(nameOrPath) { return try catalog.profile(atPath: nameOrPath) }
        return try catalog.profile(named: nameOrPath)
    }

    static func looksLikePath(_ text: String) -> Bool {
        text.contains("/") || text.hasSuffix(".json")
    }

    /// A file whose top level has `defaultAction` is a seccomp filter, not an isolation profile.
    static func isSeccompFile(_ text: String) -> Bool {
        guard looksLikePath(text), let data = FileManager.default.contents(atPath: text),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return object["defaultAction"] != nil
    }

    struct Comparable {
        var name: String
        var seccomp: SeccompProfile
        var isolation: IsolationProfile?
    }

    static func comparable(_ text: String) throws -> Comparable {
        if text == "docker-default" {
            return Comparable(name: "docker-default", seccomp: DockerDefaultReference.profile)
        }
        if isSeccompFile(text) {
            let document = try SeccompDocument.load(path: text)
            try document.validated()
            return Comparable(name: (text as NSString).lastPathComponent, seccomp: document.profile)
        }
        let profile = try isolationProfile(text)
        return Comparable(name: profile.name, seccomp: try profile.seccompProfile(), isolation: profile)
    }

    struct SettingDifference: Encodable {
        var setting: String
        var a: String
        var b: String
    }

    static func settingDifferences(_ a: IsolationProfile?, _ b: IsolationProfile?) -> [SettingDifference] {
        guard let a, let b else { return [] }
        var result: [SettingDifference] = []
        func compare(_ setting: String, _ left: String, _ right: String) {
            if left != right { result.append(SettingDifference(setting: setting, a: left, b: right)) }
        }
        compare("seccomp", a.seccompPath, b.seccompPath)
        compare("capabilities added", a.addedCapabilities.joined(separator: ","), b.addedCapabilities.joined(separator: ","))
        compare("user", a.user, b.user)
        compare("read-only root", String(a.readOnlyRootFilesystem), String(b.readOnlyRootFilesystem))
        compare("no-new-privileges", String(a.noNewPrivileges), String(b.noNewPrivileges))
        compare("network", a.network.rawValue, b.network.rawValue)
        compare("pids", String(a.pidsLimit), String(b.pidsLimit))
        compare("memory", bytes(a.memoryBytes), bytes(b.memoryBytes))
        compare("cpus", cpus(a.nanoCPUs), cpus(b.nanoCPUs))
        compare(
            "tmpfs", a.tmpfs.map { "\($0.path)=\(bytes($0.sizeBytes))" }.joined(separator: ","),
            b.tmpfs.map { "\($0.path)=\(bytes($0.sizeBytes))" }.joined(separator: ","))
        compare(
            "ulimits", a.ulimits.map { "\($0.name)=\($0.soft):\($0.hard)" }.joined(separator: ","),
            b.ulimits.map { "\($0.name)=\($0.soft):\($0.hard)" }.joined(separator: ","))
        compare(
            "masked paths", a.maskedPaths.map { "\($0.count) paths" } ?? "Docker's defaults",
            b.maskedPaths.map { "\($0.count) paths" } ?? "Docker's defaults")
        compare(
            "read-only paths", a.readonlyPaths.map { "\($0.count) paths" } ?? "Docker's defaults",
            b.readonlyPaths.map { "\($0.count) paths" } ?? "Docker's defaults")
        return result
    }

    static func row(_ columns: [String]) -> String {
        let widths = [12, 8, 8, 5, 8, 5, 13]
        return columns.enumerated().map { index, column in
            index < widths.count ? column.padding(toLength: max(widths[index], column.count), withPad: " ", startingAt: 0) : column
        }.joined(separator: " ")
    }

    static func bytes(_ value: Int64) -> String {
        for (unit, size) in [("GiB", Int64(1) << 30), ("MiB", Int64(1) << 20), ("KiB", Int64(1) << 10)] where value >= size && value % size == 0 {
            return "\(value / size)\(unit)"
        }
        return "\(value)B"
    }

    static func cpus(_ nano: Int64) -> String {
        let value = Double(nano) / 1e9
        return value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }

    static func arguments(_ values: [UInt64]) -> String {
        let trimmed = values.reversed().drop { $0 == 0 }.reversed()
        return "(" + (trimmed.isEmpty ? ["0"] : trimmed.map { "0x" + String($0, radix: 16) }).joined(separator: ", ") + ")"
    }
}
