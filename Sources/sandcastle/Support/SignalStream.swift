@preconcurrency import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Signals as an async sequence (SIGINT for cleanup on Ctrl-C, SIGWINCH for resizes).
///
/// The default disposition is replaced by SIG_IGN so the dispatch source sees the
/// signal instead of the process dying before it can remove its sandbox.
enum SignalStream {
    static func make(_ signals: [Int32]) -> AsyncStream<Int32> {
        AsyncStream { continuation in
            let queue = DispatchQueue(label: "sandcastle.signals")
            var sources: [any DispatchSourceSignal] = []
            for signo in signals {
                signal(signo, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signo, queue: queue)
                source.setEventHandler { continuation.yield(signo) }
                source.resume()
                sources.append(source)
            }
            let retained = sources
            continuation.onTermination = { _ in
                for source in retained { source.cancel() }
            }
        }
    }
}
