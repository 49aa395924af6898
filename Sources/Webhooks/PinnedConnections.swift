import Foundation
import HTTPTransport

/// The connections of one delivery: a client per checked address, made when first needed and
/// pinned to that address, so that no attempt ever looks the host up. Used by one task at a time.
final class PinnedConnections {
    /// What one attempt's answer means for the delivery.
    enum Verdict: Sendable, Equatable {
        case delivered
        /// 3xx, 4xx: the receiver said no; asking again cannot help.
        case final(String)
        /// 5xx, network errors, timeouts.
        case retryable(String)
        case cancelled
    }

    struct Attempt: Sendable {
        var record: DeliveryAttempt
        var verdict: Verdict
    }

    private let callback: CheckedCallback
    private let attemptTimeout: Duration
    private var clients: [IPAddress: HTTPClient] = [:]

    init(callback: CheckedCallback, attemptTimeout: Duration) {
        self.callback = callback
        self.attemptTimeout = attemptTimeout
    }

    /// One attempt: the checked addresses in order, moving on only when one refuses the
    /// connection, all within ``attemptTimeout``.
    func attempt(number: Int, request: HTTPRequest, excerptLimit: Int) async -> Attempt {
        let start = ContinuousClock.now
        let deadline = start + attemptTimeout
        var record = DeliveryAttempt(number: number, startedAt: Date(), durationMilliseconds: 0)
        var verdict = Verdict.retryable("the host has no address to connect to")
        for (index, address) in callback.addresses.enumerated() {
            record.address = address.description
            let remaining = deadline - .now
            guard remaining > .zero else {
                record.errorCode = HTTPTransportError.Code.timeout.description
                record.error = "attempt \(number) used up its \(attemptTimeout) before reaching \(address)"
                verdict = .retryable(record.error ?? "timeout")
                break
            }
            do {
                var bounded = request
                bounded.timeout = remaining
                bounded.connectTimeout = remaining
                let response = try await client(for: address).stream(bounded)
                record.statusCode = response.status
                record.responseExcerpt = await Self.excerpt(of: response, limit: excerptLimit)
                verdict = Self.verdict(forStatus: response.status)
                break
            } catch let error as HTTPTransportError {
                if error.code == .cancelled || Task.isCancelled {
                    record.errorCode = HTTPTransportError.Code.cancelled.description
                    record.error = "cancelled"
                    verdict = .cancelled
                    break
                }
                let message = masked(error.message)
                record.errorCode = error.code.description
                record.error = message
                verdict = .retryable(message)
                if error.code == .connectFailed && index < callback.addresses.count - 1 { continue }
                break
            } catch {
                record.error = masked("\(error)")
                verdict = Task.isCancelled ? .cancelled : .retryable(record.error ?? "")
                break
            }
        }
        record.durationMilliseconds = WebhookSender.milliseconds(since: start)
        return Attempt(record: record, verdict: verdict)
    }

    static func verdict(forStatus status: Int) -> Verdict {
        switch status {
        case 200..<300: .delivered
        case 300..<400: .final("the receiver answered \(status), a redirect, which webhooks never follow")
        case 400..<500: .final("the receiver answered \(status); client errors are not retried")
        case 500..<600: .retryable("the receiver answered \(status)")
        default: .final("the receiver answered \(status)")
        }
    }

    private func client(for address: IPAddress) throws -> HTTPClient {
        if let client = clients[address] { return client }
        // Direct: a proxy would do its own lookup of the name. No User-Agent of the client's own:
        // the request carries Sandcastle's.
        let client = try HTTPClient(
            endpoint: callback.endpoint(pinnedTo: address),
            configuration: HTTPClient.Configuration(connectTimeout: attemptTimeout, userAgent: nil, maxCachedConnections: 1, proxy: .direct))
        clients[address] = client
        return client
    }

    /// HTTPTransport's messages name the request path; the query in it may hold a token.
    private func masked(_ message: String) -> String {
        message.replacingOccurrences(of: callback.url.target, with: callback.url.maskedTarget)
    }

    /// The first `limit` bytes of the answer's body; the rest is never read (a receiver cannot
    /// make a delivery buffer its answer).
    private static func excerpt(of response: HTTPStreamingResponse, limit: Int) async -> String? {
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body {
                bytes += chunk.prefix(max(0, limit - bytes.count))
                if bytes.count >= limit {
                    response.cancel()
                    break
                }
            }
        } catch {
            // A body cut short or timed out still leaves the status, which is what counts.
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
