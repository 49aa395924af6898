import CCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by a dedicated thread.
///
/// libcurl is blocking and not thread-safe, so it never runs on Swift's cooperative pool:
/// callers enqueue commands under a lock and poke the thread with `curl_multi_wakeup`; the
/// thread applies them, drives every transfer with `curl_multi_perform`, and sleeps in
/// `curl_multi_poll`. Connections are reused through the multi handle's connection cache.
final class CurlMultiLoop: Sendable {
    private enum Command {
        case add(Transfer)
        case cancel(Transfer)
        case resume(Transfer)
        case shutdown
    }

    private struct State {
        var commands: [Command] = []
        var shutDown = false
    }

    private let state = Mutex(State())
    /// Transfers currently attached to the multi handle (for diagnostics and tests).
    let activeCount = Atomic<Int>(0)
    /// Owned by the loop thread; only `curl_multi_wakeup` (documented thread-safe) is called elsewhere.
    private let multi: CurlPointer

    init(name: String, maxCachedConnections: Int) throws {
        try Curl.ensureInitialized()
        guard let multi = curl_multi_init() else {
            throw HTTPTransportError(.internalError, "curl_multi_init failed")
        }
        _ = sc_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxCachedConnections)
        self.multi = CurlPointer(raw: multi)
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.start()
    }

    /// Starts a transfer. Its sink must be set; completion is reported to the sink.
    func submit(_ transfer: Transfer) {
        enqueue(.add(transfer))
    }

    /// Aborts a transfer; its sink completes with `cancelled` (unless it already completed).
    func cancel(_ transfer: Transfer) {
        transfer.cancelled.store(true, ordering: .releasing)
        enqueue(.cancel(transfer))
    }

    /// Unpauses a transfer whose sink returned `false` from `body`.
    func resume(_ transfer: Transfer) {
        enqueue(.resume(transfer))
    }

    /// Stops the thread after failing every transfer still running.
    func shutdown() {
        enqueue(.shutdown)
    }

    private func enqueue(_ command: Command) {
        let accepted = state.withLock { st -> Bool in
            if st.shutDown { return false }
            if case .shutdown = command { st.shutDown = true }
            st.commands.append(command)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi.raw)
        } else if case .add(let transfer) = command {
            transfer.finish(error: HTTPTransportError(.closed, "\(transfer.requestDescription): the HTTP client was shut down"))
        }
    }

    private func run() {
        let multi = self.multi.raw
        var active: [ObjectIdentifier: Transfer] = [:]
        var commands: [Command] = []
        while true {
            state.withLock { swap(&$0.commands, &commands) }
            for command in commands {
                switch command {
                case .add(let transfer):
                    if transfer.cancelled.load(ordering: .acquiring) {
                        transfer.finish(error: transfer.cancellationError())
                        continue
                    }
                    let rc = curl_multi_add_handle(multi, transfer.easy)
                    if rc == CURLM_OK {
                        active[ObjectIdentifier(transfer)] = transfer
                    } else {
                        transfer.finish(
                            error: HTTPTransportError(.internalError, "\(transfer.requestDescription): curl_multi_add_handle failed (\(rc.rawValue))"))
                    }
                case .cancel(let transfer):
                    // A transfer not yet added is failed by its `.add` (it sees the flag); one
                    // already finished needs nothing.
                    if active.removeValue(forKey: ObjectIdentifier(transfer)) != nil {
                        // Never back into the pool: the peer must see the connection close (a
                        // server streaming to a client that left learns it so and stops), and the
                        // rest of the abandoned response would only be in the next request's way.
                        // libcurl otherwise decides by protocol state whether to keep it.
                        _ = sc_curl_easy_setopt_long(transfer.easy, CURLOPT_FORBID_REUSE, 1)
                        curl_multi_remove_handle(multi, transfer.easy)
                        transfer.finish(error: transfer.cancellationError())
                    }
                case .resume(let transfer):
                    if active[ObjectIdentifier(transfer)] != nil {
                        // May deliver buffered data to the write callback right here, on this thread.
                        curl_easy_pause(transfer.easy, sc_curl_pause_cont)
                    }
                case .shutdown:
                    for transfer in active.values {
                        curl_multi_remove_handle(multi, transfer.easy)
                        transfer.finish(error: HTTPTransportError(.closed, "\(transfer.requestDescription): the HTTP client was shut down"))
                    }
                    active.removeAll()
                    activeCount.store(0, ordering: .relaxed)
                    commands.removeAll()
                    curl_multi_cleanup(multi)
                    return
                }
            }
            commands.removeAll(keepingCapacity: true)
            activeCount.store(active.count, ordering: .relaxed)

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = message.pointee.data.result
                var privateData: UnsafeMutableRawPointer?
                _ = sc_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &privateData)
                curl_multi_remove_handle(multi, easy)
                guard let privateData else { continue }
                let transfer = Unmanaged<Transfer>.fromOpaque(privateData).takeUnretainedValue()
                if let transfer = active.removeValue(forKey: ObjectIdentifier(transfer)) {
                    transfer.finish(curlCode: result)
                }
            }
            activeCount.store(active.count, ordering: .relaxed)
            // curl_multi_poll shortens this to libcurl's own next timer, and a wakeup ends it early.
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
    }
}
