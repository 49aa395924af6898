import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns a host name (or any spelling of an address) into the addresses it has. The check of a
/// callback URL asks once, and the delivery connects to what that one answer said.
public protocol HostResolver: Sendable {
    /// Every address of `host`, in the resolver's order, without duplicates. Throws
    /// ``WebhookError`` (``WebhookError/Code/invalidCallbackURL``) when there is none.
    func addresses(of host: String) async throws -> [IPAddress]
}

/// The system's resolver (`getaddrinfo`: `/etc/hosts`, DNS, and the numeric spellings
/// `inet_aton` reads: `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`), called on a thread of its
/// own, never on the cooperative pool, and abandoned after ``timeout``.
public struct SystemResolver: HostResolver {
    /// How long a lookup may take before the URL is refused; the lookup's thread then finishes
    /// on its own (getaddrinfo cannot be interrupted) and its answer is dropped.
    public var timeout: Duration
    private let lookUp: @Sendable (String) throws -> [IPAddress]

    public init(timeout: Duration = .seconds(5)) {
        self.init(timeout: timeout, lookUp: Self.systemLookUp)
    }

    /// With another blocking lookup in getaddrinfo's place (tests of the timeout and of cancellation).
    init(timeout: Duration, lookUp: @escaping @Sendable (String) throws -> [IPAddress]) {
        self.timeout = timeout
        self.lookUp = lookUp
    }

    public func addresses(of host: String) async throws -> [IPAddress] {
        let race = LookupRace()
        let timeout = self.timeout
        let lookUp = self.lookUp
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[IPAddress], any Error>) in
                race.attach(continuation)
                Thread.detachNewThread { race.finish(Result { try lookUp(host) }) }
                let timer = Task {
                    try await Task.sleep(for: timeout)
                    race.finish(.failure(WebhookError(.invalidCallbackURL, "callback_url host '\(host)' took longer than \(timeout) to resolve")))
                }
                race.onFinish { timer.cancel() }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }

    /// One blocking `getaddrinfo`, every family, stream sockets only (one entry per address).
    static func systemLookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw WebhookError(.invalidCallbackURL, "callback_url host '\(host)' cannot be resolved: \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let socketAddress = info.ai_addr else { continue }
            let bytes: [UInt8]
            switch info.ai_family {
            case AF_INET:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin_addr
                    return withUnsafeBytes(of: &address) { Array($0) }
                }
            case AF_INET6:
                // The scope (a zone such as %eth0) is dropped: the addresses that need one are
                // link-local, which no policy lets through.
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    return withUnsafeBytes(of: &address) { Array($0) }
                }
            default:
                continue
            }
            if let address = IPAddress(bytes: bytes), !addresses.contains(address) { addresses.append(address) }
        }
        guard !addresses.isEmpty else { throw WebhookError(.invalidCallbackURL, "callback_url host '\(host)' has no IPv4 or IPv6 address") }
        return addresses
    }
}

/// The first of a lookup, its timer and the caller's cancellation to finish wins; the others
/// find the continuation gone.
private final class LookupRace: Sendable {
    private enum Phase {
        case waiting
        case suspended(CheckedContinuation<[IPAddress], any Error>)
        case finishedEarly(Result<[IPAddress], any Error>)
        case done
    }

    private struct State {
        var phase = Phase.waiting
        var cleanup: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func attach(_ continuation: CheckedContinuation<[IPAddress], any Error>) {
        let early = state.withLock { state -> Result<[IPAddress], any Error>? in
            if case .finishedEarly(let result) = state.phase {
                state.phase = .done
                return result
            }
            state.phase = .suspended(continuation)
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Runs `cleanup` once the race is decided (at once if it already is).
    func onFinish(_ cleanup: @escaping @Sendable () -> Void) {
        let decided = state.withLock { state -> Bool in
            if case .done = state.phase { return true }
            state.cleanup = cleanup
            return false
        }
        if decided { cleanup() }
    }

    func finish(_ result: Result<[IPAddress], any Error>) {
        let (continuation, cleanup) = state.withLock { state -> (CheckedContinuation<[IPAddress], any Error>?, (@Sendable () -> Void)?) in
            switch state.phase {
            case .waiting:
                // Cancelled before the continuation existed: attach() delivers this.
                state.phase = .finishedEarly(result)
                return (nil, nil)
            case .suspended(let continuation):
                state.phase = .done
                defer { state.cleanup = nil }
                return (continuation, state.cleanup)
            case .finishedEarly, .done:
                return (nil, nil)
            }
        }
        continuation?.resume(with: result)
        cleanup?()
    }
}
