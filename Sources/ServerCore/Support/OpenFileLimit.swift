import Foundation

/// The process's limit on open files (`RLIMIT_NOFILE`): every connection holds one.
///
/// Many systems start services with a soft limit of 1,024 under a far higher hard limit; the
/// server raises its soft limit to the hard one at start, so a burst of clients is not the
/// limit. The per-client connection cap protects `/health` and other clients even when it
/// cannot be raised.
package enum OpenFileLimit {
    package struct Figures: Sendable, Equatable {
        /// The soft limit found at start.
        package var before: UInt64
        /// The soft limit in force now.
        package var now: UInt64
        /// Why it could not be raised, if it could not.
        package var failure: String?
    }

    /// Raises the soft limit to the hard limit (when the hard limit is unlimited, to the
    /// kernel's ceiling for one process, `/proc/sys/fs/nr_open`).
    package static func raiseToHardLimit() -> Figures {
        var limit = rlimit()
        guard getrlimit(resourceNumber, &limit) == 0 else {
            return Figures(before: 0, now: 0, failure: "getrlimit failed: errno \(errno)")
        }
        let before = UInt64(limit.rlim_cur)
        var target = limit.rlim_max
        if target == rlim_t.max, let ceiling = kernelCeiling() { target = rlim_t(ceiling) }
        guard target > limit.rlim_cur else { return Figures(before: before, now: before) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(resourceNumber, &raised) == 0 else {
            return Figures(before: before, now: before, failure: "setrlimit to \(target) failed: errno \(errno)")
        }
        return Figures(before: before, now: UInt64(target))
    }

    #if canImport(Glibc)
        private static let resourceNumber = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resourceNumber = RLIMIT_NOFILE
    #endif

    /// Linux refuses a soft limit above `nr_open` even when the hard limit is unlimited.
    private static func kernelCeiling() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/sys/fs/nr_open", encoding: .utf8) else { return nil }
        return UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
