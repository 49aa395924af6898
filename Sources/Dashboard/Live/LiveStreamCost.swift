import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The CPU time this process's live dashboard streams spent working out what to send (reading
/// the store, rendering fragments, framing them), summed over every stream: what
/// `sandcastle bench dashboard` reports as a page's cost to the server. Measured with the
/// thread's CPU clock around each synchronous stretch (no suspension point inside, so the
/// thread cannot change under it); the bytes' trip through NIO is not counted.
public enum LiveStreamCost {
    private static let nanoseconds = Atomic<Int64>(0)
    private static let renders = Atomic<Int>(0)

    /// CPU seconds spent so far.
    public static var cpuSeconds: Double { Double(nanoseconds.load(ordering: .relaxed)) / 1e9 }
    /// How many times a stream worked out an update.
    public static var renderCount: Int { renders.load(ordering: .relaxed) }

    static func measure<T>(_ body: () -> T) -> T {
        let start = threadCPUNanoseconds()
        let result = body()
        nanoseconds.add(threadCPUNanoseconds() - start, ordering: .relaxed)
        renders.add(1, ordering: .relaxed)
        return result
    }

    static func threadCPUNanoseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
