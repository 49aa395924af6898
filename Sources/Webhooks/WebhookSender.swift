import Foundation
import HTTPTransport
import Resilience

/// Sends webhooks: one payload to one URL per call, with Sandcastle's retry rules, and returns
/// what happened as a ``DeliveryRecord`` for the caller to store. It never throws: every
/// failure is an outcome.
///
/// A delivery checks the URL (resolving its host once, every address against the policy),
/// serializes and signs the body once, then makes up to ``Configuration/maxAttempts`` attempts
/// to the checked addresses only: a 2xx is delivered; 5xx and network errors (refused,
/// reset, timed out) are retried after `min(2ⁿ, 30) s` less up to a quarter at random; 3xx and
/// 4xx end it at once (redirects are never followed). Cancelling the calling task stops the
/// attempt in flight or the wait, and the record says `cancelled`.
public struct WebhookSender: Sendable {
    public struct Configuration: Sendable {
        /// Tries per delivery, the first included (Sandcastle: 3).
        public var maxAttempts: Int
        /// Limit for one attempt: connecting, sending, and the receiver's answer.
        public var attemptTimeout: Duration
        /// Wait before retry n: a ceiling of `min(2ⁿ s, 30 s)`, less up to 25 % at random.
        public var backoff: Backoff
        /// Bytes of the receiver's answer kept in the record; the rest is never read.
        public var responseExcerptBytes: Int
        /// Largest body sent; see ``WebhookPayload/encoded(limit:)``.
        public var bodyLimit: Int

        public init(
            maxAttempts: Int = 3, attemptTimeout: Duration = .seconds(10),
            backoff: Backoff = Backoff(initial: .seconds(2), multiplier: 2, maximum: .seconds(30), jitter: 0.25),
            responseExcerptBytes: Int = 4096, bodyLimit: Int = WebhookPayload.maximumBodyBytes
        ) {
            self.maxAttempts = maxAttempts
            self.attemptTimeout = attemptTimeout
            self.backoff = backoff
            self.responseExcerptBytes = responseExcerptBytes
            self.bodyLimit = bodyLimit
        }
    }

    public let signer: WebhookSigner
    public let policy: WebhookPolicy
    public let configuration: Configuration
    private let resolver: any HostResolver
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - secret: `WEBHOOK_SECRET`; `nil` sends unsigned webhooks.
    ///   - resolver: asked once per delivery for the URL's addresses.
    ///   - sleep: waits between attempts; tests pass one that records and returns at once.
    public init(
        secret: WebhookSecret?, policy: WebhookPolicy = WebhookPolicy(), configuration: Configuration = Configuration(),
        resolver: any HostResolver = SystemResolver(),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.signer = WebhookSigner(secret: secret)
        self.policy = policy
        self.configuration = configuration
        self.resolver = resolver
        self.sleep = sleep
    }

    /// Checks `url` now (the host may resolve differently than at submission) and delivers to it.
    public func deliver(_ payload: WebhookPayload, to url: String) async -> DeliveryRecord {
        let started = Date()
        let clock = ContinuousClock.now
        let parsed: CallbackURL
        do {
            parsed = try CallbackURL(parsing: url)
        } catch {
            return refused(payload, url: "(invalid)", error: error, started: started, clock: clock)
        }
        let checked: CheckedCallback
        do {
            checked = try await parsed.check(policy: policy, resolver: resolver)
        } catch is CancellationError {
            return DeliveryRecord(
                url: parsed.masked, event: payload.event, runID: payload.runID, outcome: .cancelled,
                reason: "cancelled while resolving the host", startedAt: started, durationMilliseconds: Self.milliseconds(since: clock))
        } catch {
            return refused(payload, url: parsed.masked, error: error, started: started, clock: clock)
        }
        return await deliver(payload, to: checked, started: started, clock: clock)
    }

    /// Delivers to a URL checked beforehand (at submission, say), connecting only to the
    /// addresses that check found.
    public func deliver(_ payload: WebhookPayload, to callback: CheckedCallback) async -> DeliveryRecord {
        await deliver(payload, to: callback, started: Date(), clock: .now)
    }

    private func deliver(
        _ payload: WebhookPayload, to callback: CheckedCallback, started: Date, clock: ContinuousClock.Instant
    ) async -> DeliveryRecord {
        var record = DeliveryRecord(
            url: callback.url.masked, event: payload.event, runID: payload.runID, outcome: .failed,
            addresses: callback.addresses.map(\.description), signed: signer.secret != nil, startedAt: started)
        let body: WebhookBody
        do {
            body = try payload.encoded(limit: configuration.bodyLimit)
        } catch {
            record.reason = (error as? WebhookError)?.message ?? "\(error)"
            record.durationMilliseconds = Self.milliseconds(since: clock)
            return record
        }
        record.bodyBytes = body.bytes.count
        record.truncation = body.truncation

        let request = HTTPRequest(
            method: .post, path: callback.url.target, headers: signer.headers(for: body), body: .bytes(body.bytes))
        let connections = PinnedConnections(callback: callback, attemptTimeout: configuration.attemptTimeout)
        let attempts = max(configuration.maxAttempts, 1)
        attemptLoop: for number in 1...attempts {
            if Task.isCancelled {
                record.outcome = .cancelled
                record.reason = "cancelled before attempt \(number)"
                break
            }
            let attempt = await connections.attempt(number: number, request: request, excerptLimit: configuration.responseExcerptBytes)
            record.attempts.append(attempt.record)
            switch attempt.verdict {
            case .delivered:
                record.outcome = .delivered
                record.reason = nil
                break attemptLoop
            case .final(let reason):
                record.outcome = .failed
                record.reason = reason
                break attemptLoop
            case .cancelled:
                record.outcome = .cancelled
                record.reason = "cancelled during attempt \(number)"
                break attemptLoop
            case .retryable(let reason):
                record.outcome = .failed
                guard number < attempts else {
                    record.reason = "\(reason); gave up after \(attempts) attempts"
                    break attemptLoop
                }
                record.reason = reason
                var generator = SystemRandomNumberGenerator()
                do {
                    try await sleep(configuration.backoff.delay(forRetry: number, using: &generator))
                } catch {
                    record.outcome = .cancelled
                    record.reason = "cancelled while waiting to retry after attempt \(number)"
                    break attemptLoop
                }
            }
        }
        record.durationMilliseconds = Self.milliseconds(since: clock)
        return record
    }

    private func refused(
        _ payload: WebhookPayload, url: String, error: any Error, started: Date, clock: ContinuousClock.Instant
    ) -> DeliveryRecord {
        DeliveryRecord(
            url: url, event: payload.event, runID: payload.runID, outcome: .refused,
            reason: (error as? WebhookError)?.message ?? "\(error)", signed: signer.secret != nil, startedAt: started,
            durationMilliseconds: Self.milliseconds(since: clock))
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
