/// Which addresses webhooks may be delivered to.
///
/// By default only global addresses: nothing on the machine, its private networks, link-local
/// and cloud-metadata services, multicast, or the reserved and documentation ranges (see
/// ``AddressCategory``). Development against a receiver on the same machine or network turns
/// on ``allowPrivateNetworks``; cloud metadata and the other special ranges stay closed even then.
public struct WebhookPolicy: Sendable, Hashable {
    /// Also allow loopback, private (RFC 1918), carrier-grade NAT and unique-local addresses.
    /// Default `false`; for development only.
    public var allowPrivateNetworks: Bool

    public init(allowPrivateNetworks: Bool = false) {
        self.allowPrivateNetworks = allowPrivateNetworks
    }

    /// The variable the server reads ``allowPrivateNetworks`` from.
    public static let allowPrivateNetworksVariable = "SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS"

    /// The policy the environment asks for: ``allowPrivateNetworksVariable`` set to
    /// `1`/`true`/`yes`/`on` (or `0`/`false`/`no`/`off`, or unset: the default). Any other value
    /// is an error naming the variable, not a silent default.
    public static func fromEnvironment(_ environment: [String: String]) throws -> WebhookPolicy {
        let name = allowPrivateNetworksVariable
        guard let text = environment[name]?.trimmingSpaces, !text.isEmpty else { return WebhookPolicy() }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return WebhookPolicy(allowPrivateNetworks: true)
        case "0", "false", "no", "off": return WebhookPolicy(allowPrivateNetworks: false)
        default:
            throw WebhookError(.invalidConfiguration, "\(name) must be true or false, not '\(text.prefix(40))'")
        }
    }

    /// Whether a delivery may connect to an address of this kind.
    public func permits(_ category: AddressCategory) -> Bool {
        category == .global || (allowPrivateNetworks && category.isPrivateNetwork)
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
