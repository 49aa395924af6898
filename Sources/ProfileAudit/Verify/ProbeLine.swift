/// One line of `sandcastle-runner probe` output: `name <TAB> outcome <TAB> detail`.
///
/// The runner reports what the kernel answered and never judges; ``ProbeExpectations``
/// does the judging on the host.
public struct ProbeLine: Sendable, Equatable {
    /// What the probed call did.
    public enum Outcome: Sendable, Equatable {
        /// The call succeeded (`ok`).
        case succeeded
        /// The call failed with this errno name (`EPERM`, `ENOSYS`, …).
        case failed(errno: String)
        /// A fact was read; it is in `detail` (`value`).
        case value
        /// The probe could not run in this sandbox; `detail` says why (`skip`).
        case skipped
    }

    public var name: String
    public var outcome: Outcome
    public var detail: String

    public init(name: String, outcome: Outcome, detail: String) {
        self.name = name
        self.outcome = outcome
        self.detail = detail
    }

    /// The errno name when the call failed.
    public var errno: String? {
        if case .failed(let name) = outcome { return name }
        return nil
    }

    /// The outcome as the runner printed it.
    public var outcomeText: String {
        switch outcome {
        case .succeeded: "ok"
        case .failed(let errno): errno
        case .value: "value"
        case .skipped: "skip"
        }
    }

    /// The value of a `key=value` token in `detail` (e.g. `found` in `found=0 scanned=12`).
    public func field(_ key: String) -> String? {
        for token in detail.split(separator: " ") where token.hasPrefix(key + "=") {
            return String(token.dropFirst(key.count + 1))
        }
        return nil
    }

    /// Reads one line; `nil` for blank lines, `#` comments and anything not in the format.
    public static func parse(line: some StringProtocol) -> ProbeLine? {
        var text = Substring(line)
        if text.hasSuffix("\r") { text = text.dropLast() }
        guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
        let fields = text.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else { return nil }
        let outcome: Outcome
        switch fields[1] {
        case "ok": outcome = .succeeded
        case "value": outcome = .value
        case "skip": outcome = .skipped
        case let name where name.first == "E" && name.allSatisfy({ $0.isUppercase || $0.isNumber }):
            outcome = .failed(errno: String(name))
        default:
            return nil
        }
        return ProbeLine(name: String(fields[0]), outcome: outcome, detail: fields.count > 2 ? String(fields[2]) : "")
    }

    /// Every probe line of a run, in order.
    public static func parse(output: String) -> [ProbeLine] {
        output.split(separator: "\n", omittingEmptySubsequences: true).compactMap { parse(line: $0) }
    }

    /// Whether the output comes from a runner that has probe mode (its header line).
    public static func hasHeader(_ output: String) -> Bool {
        output.split(separator: "\n").contains { $0.hasPrefix("# sandcastle-probe ") }
    }

    /// The last `# memhog allocated=N` progress value, in MiB.
    public static func memhogProgress(_ output: String) -> Int? {
        output.split(separator: "\n").reversed().lazy
            .compactMap { line -> Int? in
                guard line.hasPrefix("# memhog allocated=") else { return nil }
                return Int(line.dropFirst("# memhog allocated=".count))
            }
            .first
    }
}
