import CRunnerSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How many processes the kernel's OOM killer has killed in the sandbox's memory cgroup.
///
/// A process killed for memory dies of SIGKILL like any other; only this count tells the two
/// apart. Reading it when an exec starts and when it ends says whether the OOM killer struck in
/// between, so the result can say `oomKilled` (the command's fate) instead of a bare exit 137, or
/// of a "shell exited" failure when the victim was the shell the command had grown. Both cgroup
/// versions keep the count on an `oom_kill N` line: v2 in `memory.events` of the container's own
/// cgroup (cgroup namespace), v1 in `memory.oom_control`.
struct OOMKills {
    private let path: String?

    private static let candidates = ["/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"]

    init() {
        path = Self.candidates.first { access($0, R_OK) == 0 }
    }

    /// The count now, or nil when the cgroup does not say (no cgroup mount, an older kernel).
    func count() -> UInt64? {
        guard let path else { return nil }
        let fd = crs_open(path, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let got = buffer.withUnsafeMutableBytes { raw in retryingInterrupts { read(fd, raw.baseAddress, raw.count) } }
        guard got > 0 else { return nil }
        return Self.parse(buffer[0..<got])
    }

    /// The number on the `oom_kill` line.
    static func parse(_ text: ArraySlice<UInt8>) -> UInt64? {
        for line in text.split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, fields[0].elementsEqual("oom_kill".utf8) else { continue }
            var value: UInt64 = 0
            for digit in fields[1] {
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
                value = value &* 10 &+ UInt64(digit - UInt8(ascii: "0"))
            }
            return value
        }
        return nil
    }

    /// Whether the count grew past `before` (false when either reading is unknown).
    func grew(since before: UInt64?) -> Bool {
        guard let before, let now = count() else { return false }
        return now > before
    }
}
