/// What kind of address an IP address is, as far as webhooks care: only ``global`` ones are
/// reachable under the default policy.
public enum AddressCategory: String, Sendable, Hashable, CaseIterable {
    /// Anything not listed below: an ordinary Internet address.
    case global
    /// 127.0.0.0/8, ::1.
    case loopback
    /// 0.0.0.0/8 ("this network"; 0.0.0.0 reaches the local host on Linux), ::.
    case unspecified
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16.
    case privateNetwork = "private"
    /// 100.64.0.0/10, carrier-grade NAT (RFC 6598).
    case sharedAddressSpace = "shared_address_space"
    /// 169.254.0.0/16, fe80::/10.
    case linkLocal = "link_local"
    /// Cloud instance metadata services: 169.254.169.254 (AWS, GCP, Azure, …), 169.254.170.2
    /// (AWS ECS task credentials), 100.100.100.200 (Alibaba), 192.0.0.192 (Oracle),
    /// fd00:ec2::254 (AWS over IPv6). Never reachable, whatever the policy.
    case cloudMetadata = "cloud_metadata"
    /// 224.0.0.0/4, ff00::/8.
    case multicast
    /// 255.255.255.255.
    case broadcast
    /// 240.0.0.0/4, and every IPv6 address outside 2000::/3 not named otherwise (site-local
    /// fec0::/10, discard 100::/64, local NAT64 64:ff9b:1::/48, …).
    case reserved
    /// fc00::/7.
    case uniqueLocal = "unique_local"
    /// 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20.
    case documentation
    /// 198.18.0.0/15.
    case benchmarking
    /// 192.0.0.0/24 and 192.88.99.0/24 (IETF protocol assignments, 6to4 relays), 2001::/23
    /// (IETF protocol assignments, Teredo).
    case specialPurpose = "special_purpose"

    /// How a refusal names it: "a private address".
    public var phrase: String {
        switch self {
        case .global: "a global address"
        case .loopback: "a loopback address"
        case .unspecified: "an unspecified address"
        case .privateNetwork: "a private address"
        case .sharedAddressSpace: "a carrier-grade NAT address"
        case .linkLocal: "a link-local address"
        case .cloudMetadata: "a cloud metadata address"
        case .multicast: "a multicast address"
        case .broadcast: "the broadcast address"
        case .reserved: "a reserved address"
        case .uniqueLocal: "a unique-local address"
        case .documentation: "a documentation address"
        case .benchmarking: "a benchmarking address"
        case .specialPurpose: "a special-purpose address"
        }
    }

    /// The kinds ``WebhookPolicy/allowPrivateNetworks`` opens for development: the machine
    /// itself and the networks a developer's receiver sits on. Link-local, metadata, multicast
    /// and the rest stay closed: no receiver lives there.
    public var isPrivateNetwork: Bool {
        switch self {
        case .loopback, .privateNetwork, .sharedAddressSpace, .uniqueLocal: true
        default: false
        }
    }
}

/// One address classified: its category and, for an IPv6 address that carries an IPv4 one
/// (IPv4-mapped, NAT64, 6to4, IPv4-compatible), the IPv4 address it was classified by.
public struct AddressClassification: Sendable, Hashable {
    public let address: IPAddress
    public let category: AddressCategory
    /// `IPv4-mapped`, `NAT64`, `6to4` or `IPv4-compatible`, when the address embeds IPv4.
    public let embedding: String?
    /// The embedded IPv4 address the category is that of.
    public let embeddedIPv4: IPAddress?

    /// "10.0.0.5, a private address"; "::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1), a loopback address".
    public var explanation: String {
        if let embedding, let embeddedIPv4 {
            return "\(address) (\(embedding) \(embeddedIPv4)), \(category.phrase)"
        }
        return "\(address), \(category.phrase)"
    }

    public static func classify(_ address: IPAddress) -> AddressClassification {
        if address.family == .v6, let (kind, v4) = embeddedIPv4(in: address) {
            return AddressClassification(address: address, category: category(of: v4), embedding: kind, embeddedIPv4: v4)
        }
        return AddressClassification(address: address, category: category(of: address), embedding: nil, embeddedIPv4: nil)
    }

    private static func category(of address: IPAddress) -> AddressCategory {
        let table = address.family == .v4 ? v4Ranges : v6Ranges
        for range in table where address.hasPrefix(range.prefix, length: range.length) {
            return range.category
        }
        if address.family == .v6 && !address.hasPrefix(v6(0x2000), length: 3) { return .reserved }
        return .global
    }

    /// The IPv4 address inside an IPv6 one that carries it (RFC 4291, 6052, 3056). These must
    /// be judged by the IPv4 address: `::ffff:127.0.0.1` reaches 127.0.0.1.
    private static func embeddedIPv4(in address: IPAddress) -> (String, IPAddress)? {
        let b = address.bytes
        func tail(_ from: Int) -> IPAddress? { IPAddress(bytes: Array(b[from..<(from + 4)])) }
        if address.hasPrefix(v6(0, 0, 0, 0, 0, 0xFFFF), length: 96) { return tail(12).map { ("IPv4-mapped", $0) } }
        if address.hasPrefix(v6(0x64, 0xFF9B), length: 96) { return tail(12).map { ("NAT64", $0) } }
        if address.hasPrefix(v6(0x2002), length: 16) { return tail(2).map { ("6to4", $0) } }
        // ::a.b.c.d (deprecated "IPv4-compatible"); :: and ::1 are themselves, not 0.0.0.0/0.0.0.1.
        if address.hasPrefix(v6(), length: 96) {
            let isUnspecifiedOrLoopback = b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1
            return isUnspecifiedOrLoopback ? nil : tail(12).map { ("IPv4-compatible", $0) }
        }
        return nil
    }

    private struct Range {
        let prefix: [UInt8]
        let length: Int
        let category: AddressCategory
    }

    /// Most specific first: the first match wins.
    private static let v4Ranges: [Range] = [
        Range(prefix: [169, 254, 169, 254], length: 32, category: .cloudMetadata),
        Range(prefix: [169, 254, 170, 2], length: 32, category: .cloudMetadata),
        Range(prefix: [100, 100, 100, 200], length: 32, category: .cloudMetadata),
        Range(prefix: [192, 0, 0, 192], length: 32, category: .cloudMetadata),
        Range(prefix: [255, 255, 255, 255], length: 32, category: .broadcast),
        Range(prefix: [0, 0, 0, 0], length: 8, category: .unspecified),
        Range(prefix: [127, 0, 0, 0], length: 8, category: .loopback),
        Range(prefix: [10, 0, 0, 0], length: 8, category: .privateNetwork),
        Range(prefix: [172, 16, 0, 0], length: 12, category: .privateNetwork),
        Range(prefix: [192, 168, 0, 0], length: 16, category: .privateNetwork),
        Range(prefix: [100, 64, 0, 0], length: 10, category: .sharedAddressSpace),
        Range(prefix: [169, 254, 0, 0], length: 16, category: .linkLocal),
        Range(prefix: [192, 0, 0, 0], length: 24, category: .specialPurpose),
        Range(prefix: [192, 88, 99, 0], length: 24, category: .specialPurpose),
        Range(prefix: [192, 0, 2, 0], length: 24, category: .documentation),
        Range(prefix: [198, 51, 100, 0], length: 24, category: .documentation),
        Range(prefix: [203, 0, 113, 0], length: 24, category: .documentation),
        Range(prefix: [198, 18, 0, 0], length: 15, category: .benchmarking),
        Range(prefix: [224, 0, 0, 0], length: 4, category: .multicast),
        Range(prefix: [240, 0, 0, 0], length: 4, category: .reserved),
    ]

    private static let v6Ranges: [Range] = [
        Range(prefix: v6(0xFD00, 0x0EC2, 0, 0, 0, 0, 0, 0x0254), length: 128, category: .cloudMetadata),
        Range(prefix: v6(), length: 128, category: .unspecified),
        Range(prefix: v6(0, 0, 0, 0, 0, 0, 0, 1), length: 128, category: .loopback),
        Range(prefix: v6(0xFC00), length: 7, category: .uniqueLocal),
        Range(prefix: v6(0xFE80), length: 10, category: .linkLocal),
        Range(prefix: v6(0xFF00), length: 8, category: .multicast),
        Range(prefix: v6(0x2001, 0x0DB8), length: 32, category: .documentation),
        Range(prefix: v6(0x3FFF), length: 20, category: .documentation),
        Range(prefix: v6(0x2001), length: 23, category: .specialPurpose),
    ]

    /// 16 bytes from up to eight 16-bit groups, the missing ones zero.
    private static func v6(_ groups: UInt16...) -> [UInt8] {
        var bytes: [UInt8] = []
        for index in 0..<8 {
            let group = index < groups.count ? groups[index] : 0
            bytes.append(UInt8(group >> 8))
            bytes.append(UInt8(group & 0xFF))
        }
        return bytes
    }
}
