import Foundation

/// One verified property of a live sandbox: what the threat model demands, what the
/// sandbox did, and whether that is acceptable.
public struct ProbeResult: Codable, Sendable, Equatable {
    /// The probe, named after the call it makes (`unshare(CLONE_NEWUSER)`, `write /etc/probe`, …).
    public var name: String
    /// The group a reviewer reads it under (``ProbeCategory``).
    public var category: String
    /// The invariant, in words (`blocked (EPERM/ENOSYS)`, `0000000000000000`, …).
    public var expected: String
    /// What happened (`EPERM`, `ok`, a value, or `skipped`).
    public var observed: String
    /// False only for a violation. Informational and skipped probes pass.
    public var passed: Bool
    /// The runner's or engine's own words: errno text, counts, paths, the reason for a skip.
    public var detail: String
    /// The probe could not run here (the kernel or engine lacks something); `detail` says why.
    public var skipped: Bool

    public init(
        name: String, category: String, expected: String, observed: String, passed: Bool, detail: String,
        skipped: Bool = false
    ) {
        self.name = name
        self.category = category
        self.expected = expected
        self.observed = observed
        self.passed = passed
        self.detail = detail
        self.skipped = skipped
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        category = try container.decode(String.self, forKey: .category)
        expected = try container.decode(String.self, forKey: .expected)
        observed = try container.decode(String.self, forKey: .observed)
        passed = try container.decode(Bool.self, forKey: .passed)
        detail = try container.decode(String.self, forKey: .detail)
        skipped = try container.decodeIfPresent(Bool.self, forKey: .skipped) ?? false
    }

    /// `pass`, `FAIL`, `skipped` or `info`, as the Markdown table shows it.
    public var verdict: String {
        if skipped { return "skipped" }
        if !passed { return "FAIL" }
        return expected == ProbeExpectations.informational ? "info" : "pass"
    }
}

/// The groups probes are reported under, in report order.
public enum ProbeCategory {
    public static let identity = "identity"
    public static let capabilities = "capabilities"
    public static let confinement = "seccomp and no_new_privs"
    public static let mounts = "mounts and file systems"
    public static let namespaces = "namespaces"
    public static let kernelSurface = "kernel attack surface"
    public static let otherProcesses = "other processes"
    public static let hostAdministration = "host administration"
    public static let sockets = "socket families"
    public static let readOnly = "read-only paths"
    public static let hostExposure = "host exposure"
    public static let network = "network"
    public static let limits = "resource limits"
    public static let aftermath = "host afterwards"

    public static let order = [
        identity, capabilities, confinement, mounts, namespaces, kernelSurface, otherProcesses, hostAdministration,
        sockets, readOnly, hostExposure, network, limits, aftermath,
    ]
}

/// What `sandcastle profile verify` found in one live sandbox.
public struct VerifyReport: Codable, Sendable {
    /// The profile's name.
    public var profile: String
    /// The image the sandbox ran (as resolved by the backend).
    public var image: String
    public var startedAt: Date
    public var results: [ProbeResult]
    /// The sandbox the probes ran in (destroyed by the time the report exists).
    public var sandboxID: String
    public var durationSeconds: Double
    /// The engine and host the probes ran on (version, cgroup version, kernel, runtime).
    public var engine: String

    public init(
        profile: String, image: String, startedAt: Date, results: [ProbeResult], sandboxID: String = "",
        durationSeconds: Double = 0, engine: String = ""
    ) {
        self.profile = profile
        self.image = image
        self.startedAt = startedAt
        self.results = results
        self.sandboxID = sandboxID
        self.durationSeconds = durationSeconds
        self.engine = engine
    }

    /// True when no probe found a violation (skipped probes are listed, not failed).
    public var passed: Bool { results.allSatisfy(\.passed) }

    public var failures: [ProbeResult] { results.filter { !$0.passed } }
    public var skips: [ProbeResult] { results.filter(\.skipped) }

    /// A Markdown report: a summary line, the failures first when there are any, then
    /// one table (probe | expected | observed | result) per category.
    public func markdown() -> String {
        var lines: [String] = []
        let verdict = passed ? "**PASSED**" : "**FAILED**"
        let formatter = ISO8601DateFormatter()
        lines.append("# Isolation verification: profile `\(profile)`")
        lines.append("")
        lines.append(
            "\(verdict): \(results.count) probes, \(failures.count) failed, \(skips.count) skipped, "
                + "\(results.filter { $0.verdict == "info" }.count) informational. Image `\(image)`, "
                + "sandbox `\(sandboxID)`, started \(formatter.string(from: startedAt)), "
                + String(format: "%.1f s.", durationSeconds))
        if !engine.isEmpty {
            lines.append("")
            lines.append("Engine: \(engine).")
        }
        if !failures.isEmpty {
            lines.append("")
            lines.append("## Failures")
            lines.append("")
            lines.append(contentsOf: Self.table(failures))
        }
        let known = Set(ProbeCategory.order)
        let categories = ProbeCategory.order + results.map(\.category).filter { !known.contains($0) }.uniqued()
        for category in categories {
            let rows = results.filter { $0.category == category }
            guard !rows.isEmpty else { continue }
            lines.append("")
            lines.append("## \(category.prefix(1).uppercased() + category.dropFirst())")
            lines.append("")
            lines.append(contentsOf: Self.table(rows))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func table(_ rows: [ProbeResult]) -> [String] {
        var lines = ["| probe | expected | observed | result | detail |", "|---|---|---|---|---|"]
        for row in rows {
            let result = row.verdict == "FAIL" ? "**FAIL**" : row.verdict
            lines.append("| `\(cell(row.name))` | \(cell(row.expected)) | \(cell(row.observed)) | \(result) | \(cell(row.detail)) |")
        }
        return lines
    }

    /// Table cells cannot hold a pipe or a line break.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

extension Array where Element: Hashable {
    fileprivate func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
