#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Who an fd in the poll set belongs to, so readiness goes to the right owner
/// without closures or a registry that could outlive its fds.
enum PollSource: Equatable {
    case channelIn
    case channelOut
    case signals
    case shell
    case process(UInt32, ProcessEndpoint)
}

enum ProcessEndpoint: Equatable {
    case stdout
    case stderr
    case stdin
    /// A PTY master: output and input on one fd.
    case terminal
}

/// The poll set, rebuilt before every wait from what each owner wants right now.
/// Rebuilding is cheap at the handful of fds a sandbox has, and it keeps interest
/// (e.g. "pause reading while the host is slow") a pure function of current state.
struct PollSet {
    private(set) var fds: [pollfd] = []
    private(set) var sources: [PollSource] = []

    mutating func reset() {
        fds.removeAll(keepingCapacity: true)
        sources.removeAll(keepingCapacity: true)
    }

    mutating func add(_ fd: Int32, read: Bool, write: Bool, _ source: PollSource) {
        guard fd >= 0, read || write else { return }
        var events: Int16 = 0
        if read { events |= Int16(POLLIN) }
        if write { events |= Int16(POLLOUT) }
        fds.append(pollfd(fd: fd, events: events, revents: 0))
        sources.append(source)
    }

    /// Waits until an fd is ready or `timeout` (ms, -1 = forever) passes.
    mutating func wait(timeout: Int32) -> Int32 {
        let count = nfds_t(fds.count)
        return fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, count, timeout) }
    }

    /// The fds that became ready in the last wait.
    var ready: [(source: PollSource, events: Int16)] {
        var result: [(PollSource, Int16)] = []
        for index in fds.indices where fds[index].revents != 0 {
            result.append((sources[index], fds[index].revents))
        }
        return result
    }
}

extension Int16 {
    var isReadable: Bool { self & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 }
    var isWritable: Bool { self & Int16(POLLOUT | POLLERR | POLLHUP | POLLNVAL) != 0 }
}

/// Milliseconds for poll until the earliest deadline (rounded up so a timer never
/// fires a little early and spins), or -1 when nothing is scheduled.
func pollTimeout(until deadline: UInt64?, now: UInt64) -> Int32 {
    guard let deadline else { return -1 }
    if deadline <= now { return 0 }
    let milliseconds = (deadline - now + nanosecondsPerMillisecond - 1) / nanosecondsPerMillisecond
    return Int32(min(milliseconds, 60_000))
}

func earliest(_ a: UInt64?, _ b: UInt64?) -> UInt64? {
    switch (a, b) {
    case (nil, _): b
    case (_, nil): a
    case (let x?, let y?): Swift.min(x, y)
    }
}
