import HTTPTransport

/// A callback URL whose host has been resolved once and whose every address the policy
/// permits. Deliveries connect to these addresses only, never looking the name up again, so a
/// name that answers differently later (DNS rebinding) cannot send them elsewhere.
///
/// Only ``CallbackURL/check(_:policy:resolver:)`` makes one.
public struct CheckedCallback: Sendable, Hashable, CustomStringConvertible {
    public let url: CallbackURL
    /// Every address the host had, in the resolver's order; a delivery tries them in this order.
    public let addresses: [IPAddress]

    init(url: CallbackURL, addresses: [IPAddress]) {
        self.url = url
        self.addresses = addresses
    }

    /// The masked URL and the addresses: `https://example.com/hook?token=*** (93.184.215.14)`.
    public var description: String {
        "\(url.masked) (\(addresses.map(\.description).joined(separator: ", ")))"
    }

    /// The endpoint for one address: the URL's host and port, connected to `address`.
    func endpoint(pinnedTo address: IPAddress) -> HTTPEndpoint {
        let base: HTTPEndpoint =
            switch url.scheme {
            case .http: .http(host: url.host, port: url.port)
            case .https: .https(host: url.host, port: url.port)
            }
        return base.pinned(to: address.description)
    }
}

extension CallbackURL {
    /// Parses `text` and checks it: see ``check(policy:resolver:)``.
    public static func check(
        _ text: String, policy: WebhookPolicy = WebhookPolicy(), resolver: any HostResolver = SystemResolver()
    ) async throws -> CheckedCallback {
        try await CallbackURL(parsing: text).check(policy: policy, resolver: resolver)
    }

    /// Resolves the host once and checks every address it has against `policy`; one address the
    /// policy refuses refuses the URL ("callback_url host 'x' resolves to 10.0.0.5, a private
    /// address"). Literal addresses in any spelling the resolver reads (`2130706433`,
    /// `0x7f.1`, `[::ffff:127.0.0.1]`) are judged by the address it returns, never by their text.
    public func check(policy: WebhookPolicy = WebhookPolicy(), resolver: any HostResolver = SystemResolver()) async throws
        -> CheckedCallback
    {
        let addresses = try await resolver.addresses(of: resolverHost)
        guard !addresses.isEmpty else { throw Self.refusal("host '\(host)' has no address") }
        for address in addresses {
            let classification = AddressClassification.classify(address)
            if !policy.permits(classification.category) {
                throw Self.refusal("host '\(host)' resolves to \(classification.explanation)")
            }
        }
        return CheckedCallback(url: self, addresses: addresses)
    }
}
