import Sandbox

/// A process's events merged with a tick every `interval`, for streamed responses that must
/// write something while a command is silent (proxies and clients give up on a quiet body), and
/// with the moment the client leaves, so its command is stopped at once rather than at the next
/// write that fails.
///
/// Both the native SSE exec and Sandkasten's stream read from this; each writes its own format.
package struct KeepAliveEvents: Sendable {
    package enum Item: Sendable {
        case event(ProcessEvent)
        /// Nothing happened for `interval`.
        case heartbeat
        case failure(any Error)
        /// The process's events ended without an error.
        case end
        /// The client closed its connection (see ``ClientConnection``).
        case clientGone
    }

    package let items: AsyncStream<Item>
    private let pump: Task<Void, Never>
    private let ticker: Task<Void, Never>
    private let watcher: Task<Void, Never>?

    package init(_ process: SandboxProcess, interval: Duration, client: ClientConnection?) {
        let (items, continuation) = AsyncStream<Item>.makeStream()
        self.items = items
        pump = Task {
            do {
                for try await event in process.events { continuation.yield(.event(event)) }
                continuation.yield(.end)
            } catch {
                continuation.yield(.failure(error))
            }
            continuation.finish()
        }
        ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                continuation.yield(.heartbeat)
            }
        }
        watcher = client.map { client in
            Task {
                await client.waitUntilGone()
                if !Task.isCancelled { continuation.yield(.clientGone) }
            }
        }
    }

    /// Stops reading the process and ticking (the response is done or its client is gone).
    package func cancel() {
        ticker.cancel()
        pump.cancel()
        watcher?.cancel()
    }
}
