import Synchronization

/// A single-producer, single-consumer queue of byte chunks between a C I/O thread and an
/// async consumer, with backpressure.
///
/// The consumer pulls (``next()``), so the producer learns when buffered data has been taken:
/// once more than `highWater` bytes are waiting the producer is told to pause, and `onDemand`
/// fires when the consumer has drained below `lowWater`. `AsyncThrowingStream`'s push API has
/// no such signal, which is why the public stream is built with `init(unfolding:)` on top.
final class ByteChannel: Sendable {
    enum OfferResult {
        /// The bytes were queued (or handed straight to a waiting consumer).
        case accepted
        /// The buffer is full. With `force == false` the bytes were *not* taken and must be
        /// offered again after `onDemand`; with `force == true` they were taken but the producer
        /// should stop reading until `onDemand`.
        case paused
        /// The consumer is gone or the channel already ended; the bytes were dropped.
        case discarded
    }

    private enum Take {
        case chunk([UInt8])
        case end
        case failure(any Error)
        case wait
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var end: Result<Void, any Error>?
        var consumerGone = false
        var producerPaused = false
        var waiter: CheckedContinuation<[UInt8]?, any Error>?
        // Hooks are dropped once the channel ends: they capture the producer, and keeping them
        // would form a cycle channel → hook → producer → channel.
        var onDemand: (@Sendable () -> Void)?
        var onCancel: (@Sendable () -> Void)?
    }

    private let state: Mutex<State>
    private let highWater: Int
    private let lowWater: Int
    private let cancelledMessage: String
    /// Several small chunks are merged into one element up to this size, saving consumer wake-ups.
    private static let mergeLimit = 256 * 1024

    init(highWater: Int, cancelledMessage: String) {
        self.highWater = max(highWater, 1)
        self.lowWater = max(highWater / 4, 1)
        self.cancelledMessage = cancelledMessage
        self.state = Mutex(State())
    }

    /// Installs the producer's hooks: `onDemand` (resume after a pause) and `onCancel` (consumer went away).
    func setHooks(onDemand: @escaping @Sendable () -> Void, onCancel: @escaping @Sendable () -> Void) {
        state.withLock {
            $0.onDemand = onDemand
            $0.onCancel = onCancel
        }
    }

    // MARK: Producer side

    /// Hands bytes to the consumer. See ``OfferResult`` for what `force` changes.
    func offer(_ bytes: [UInt8], force: Bool) -> OfferResult {
        let (result, waiter): (OfferResult, CheckedContinuation<[UInt8]?, any Error>?) = state.withLock { st in
            if st.consumerGone || st.end != nil { return (.discarded, nil) }
            if !force && st.buffered >= highWater {
                st.producerPaused = true
                return (.paused, nil)
            }
            if let waiter = st.waiter {
                // A waiting consumer implies an empty buffer: hand over directly.
                st.waiter = nil
                return (.accepted, waiter)
            }
            st.chunks.append(bytes)
            st.buffered += bytes.count
            if force && st.buffered >= highWater {
                st.producerPaused = true
                return (.paused, nil)
            }
            return (.accepted, nil)
        }
        waiter?.resume(returning: bytes)
        return result
    }

    /// Whether the producer was told to pause and has not been resumed yet.
    var isPaused: Bool { state.withLock { $0.producerPaused } }

    /// Ends the stream after buffered chunks are consumed: normally with `nil`, else with `error`.
    /// Later calls are ignored.
    func finish(_ error: (any Error)? = nil) {
        let waiter: CheckedContinuation<[UInt8]?, any Error>? = state.withLock { st in
            guard st.end == nil else { return nil }
            st.end = error.map { .failure($0) } ?? .success(())
            st.onDemand = nil
            st.onCancel = nil
            guard let waiter = st.waiter else { return nil }
            st.waiter = nil
            return waiter
        }
        if let waiter {
            if let error { waiter.resume(throwing: error) } else { waiter.resume(returning: nil) }
        }
    }

    // MARK: Consumer side

    /// The next chunk, `nil` at the end; throws the producer's error or `cancelled`.
    func next() async throws -> [UInt8]? {
        let (take, demand) = state.withLock { st in takeLocked(&st) }
        demand?()
        switch take {
        case .chunk(let bytes): return bytes
        case .end: return nil
        case .failure(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8]?, any Error>) in
                let (take, demand) = state.withLock { st in
                    let result = takeLocked(&st)
                    if case .wait = result.0 { st.waiter = continuation }
                    return result
                }
                demand?()
                switch take {
                case .chunk(let bytes): continuation.resume(returning: bytes)
                case .end: continuation.resume(returning: nil)
                case .failure(let error): continuation.resume(throwing: error)
                case .wait: break
                }
            }
        } onCancel: {
            self.cancel()
        }
    }

    private func takeLocked(_ st: inout State) -> (Take, (@Sendable () -> Void)?) {
        if st.consumerGone { return (.failure(cancelledError()), nil) }
        if st.head < st.chunks.count {
            var out = st.chunks[st.head]
            st.head += 1
            while st.head < st.chunks.count && out.count + st.chunks[st.head].count <= Self.mergeLimit {
                out.append(contentsOf: st.chunks[st.head])
                st.head += 1
            }
            if st.head == st.chunks.count {
                st.chunks.removeAll(keepingCapacity: true)
                st.head = 0
            } else if st.head > 64 && st.head * 2 > st.chunks.count {
                st.chunks.removeFirst(st.head)
                st.head = 0
            }
            st.buffered -= out.count
            var demand: (@Sendable () -> Void)?
            if st.producerPaused && st.buffered <= lowWater {
                st.producerPaused = false
                demand = st.onDemand
            }
            return (.chunk(out), demand)
        }
        switch st.end {
        case .some(.success): return (.end, nil)
        case .some(.failure(let error)): return (.failure(error), nil)
        case .none: return (.wait, nil)
        }
    }

    /// The consumer gives up: buffered data is dropped, a pending `next()` throws `cancelled`,
    /// and the producer's `onCancel` runs (unless the stream had already ended).
    func cancel() {
        let (waiter, onCancel): (CheckedContinuation<[UInt8]?, any Error>?, (@Sendable () -> Void)?) = state.withLock { st in
            guard !st.consumerGone else { return (nil, nil) }
            st.consumerGone = true
            st.chunks.removeAll()
            st.head = 0
            st.buffered = 0
            let onCancel = st.end == nil ? st.onCancel : nil
            st.onCancel = nil
            st.onDemand = nil
            if st.end == nil { st.end = .failure(cancelledError()) }
            let waiter = st.waiter
            st.waiter = nil
            return (waiter, onCancel)
        }
        waiter?.resume(throwing: cancelledError())
        onCancel?()
    }

    private func cancelledError() -> HTTPTransportError {
        HTTPTransportError(.cancelled, cancelledMessage, cause: CancellationError())
    }

    /// A stream over this channel. Dropping the stream (and its iterators) cancels the channel,
    /// which is how an abandoned download gets aborted.
    func makeStream() -> AsyncThrowingStream<[UInt8], any Error> {
        let token = ConsumerToken(channel: self)
        return AsyncThrowingStream(unfolding: { try await token.channel.next() })
    }
}

/// Owned only by a stream's unfolding closure; its deinit is the "consumer dropped" signal.
private final class ConsumerToken: Sendable {
    let channel: ByteChannel
    init(channel: ByteChannel) { self.channel = channel }
    deinit { channel.cancel() }
}
