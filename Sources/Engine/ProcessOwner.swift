import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Names the process executing a run (`host pid start-ticks`, recorded as ``Store/RunRecord/owner``)
/// so another process can tell a run that is still being executed (e.g. started with `--detach`)
/// from one whose process died, before resuming it. The start time guards against a reused pid.
public enum ProcessOwner {
    /// This process.
    public static func current() -> String {
        let pid = getpid()
        return "\(hostName()) \(pid) \(startTicks(of: pid) ?? 0)"
    }

    /// Whether `owner` names a process that is alive on this host (false for other hosts: they
    /// cannot be checked from here, and a shared data folder across hosts is not supported).
    public static func isAlive(_ owner: String) -> Bool {
        let parts = owner.split(separator: " ")
        guard parts.count == 3, String(parts[0]) == hostName(), let pid = Int32(parts[1]), let ticks = UInt64(parts[2]) else {
            return false
        }
        return startTicks(of: pid) == ticks
    }

    /// Whether `owner` names a process of this host that has ended: only then is what it left
    /// behind provably abandoned (a process on another host may well be alive).
    public static func isGone(_ owner: String) -> Bool {
        let parts = owner.split(separator: " ")
        guard parts.count == 3, String(parts[0]) == hostName() else { return false }
        return !isAlive(owner)
    }

    /// The pid named by `owner`, for messages.
    public static func pid(of owner: String) -> Int32? {
        let parts = owner.split(separator: " ")
        return parts.count == 3 ? Int32(parts[1]) : nil
    }

    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
    private static func startTicks(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // A zombie has exited; only its parent has not collected it yet.
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X" else { return nil }
        return UInt64(fields[19])
    }
}
