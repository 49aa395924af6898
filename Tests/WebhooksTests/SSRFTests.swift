import Testing

@testable import Webhooks

/// Every refusal of the default policy, through the system resolver: literal addresses in each
/// spelling it reads are judged by the address it returns, never by their text.
@Suite struct SSRFTests {
    @Test(arguments: [
        // IPv4 loopback in every spelling inet_aton reads.
        ("http://127.0.0.1/", "127.0.0.1, a loopback address"),
        ("http://127.255.255.254:8080/", "127.255.255.254, a loopback address"),
        ("http://2130706433/", "127.0.0.1, a loopback address"),
        ("http://0177.0.0.1/", "127.0.0.1, a loopback address"),
        ("http://0x7f.1/", "127.0.0.1, a loopback address"),
        ("http://0x7F000001/", "127.0.0.1, a loopback address"),
        ("http://127.1/", "127.0.0.1, a loopback address"),
        ("http://017700000001/", "127.0.0.1, a loopback address"),
        ("http://localhost:9/", "127.0.0.1, a loopback address"),
        ("http://LOCALHOST/", "127.0.0.1, a loopback address"),
        // This network, private, shared, link-local, metadata.
        ("http://0.0.0.0/", "0.0.0.0, an unspecified address"),
        ("http://0/", "0.0.0.0, an unspecified address"),
        ("http://10.0.0.5/", "10.0.0.5, a private address"),
        ("http://012.0.0.5/", "10.0.0.5, a private address"),
        ("http://172.16.0.1/", "172.16.0.1, a private address"),
        ("http://172.31.255.255/", "172.31.255.255, a private address"),
        ("http://192.168.1.1/", "192.168.1.1, a private address"),
        ("http://3232235777/", "192.168.1.1, a private address"),
        ("http://100.64.0.1/", "100.64.0.1, a carrier-grade NAT address"),
        ("http://169.254.1.1/", "169.254.1.1, a link-local address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a cloud metadata address"),
        ("http://0xa9.0xfe.0xa9.0xfe/", "169.254.169.254, a cloud metadata address"),
        ("http://2852039166/", "169.254.169.254, a cloud metadata address"),
        ("http://169.254.170.2/v2/credentials", "169.254.170.2, a cloud metadata address"),
        ("http://100.100.100.200/", "100.100.100.200, a cloud metadata address"),
        ("http://192.0.0.192/", "192.0.0.192, a cloud metadata address"),
        // Multicast, reserved, broadcast, documentation, benchmarking, special-purpose.
        ("http://224.0.0.1/", "224.0.0.1, a multicast address"),
        ("http://239.255.255.250/", "239.255.255.250, a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1, a reserved address"),
        ("http://255.255.255.255/", "255.255.255.255, the broadcast address"),
        ("http://192.0.2.10/", "192.0.2.10, a documentation address"),
        ("http://198.51.100.7/", "198.51.100.7, a documentation address"),
        ("http://203.0.113.9/", "203.0.113.9, a documentation address"),
        ("http://198.18.0.1/", "198.18.0.1, a benchmarking address"),
        ("http://192.0.0.8/", "192.0.0.8, a special-purpose address"),
        ("http://192.88.99.1/", "192.88.99.1, a special-purpose address"),
        // IPv6, bracketed, with zones, and the forms that carry IPv4.
        ("http://[::1]/", "::1, a loopback address"),
        ("http://[0:0:0:0:0:0:0:1]:8080/", "::1, a loopback address"),
        ("http://[::]/", "::, an unspecified address"),
        ("http://[fe80::1%25lo]/", "fe80::1, a link-local address"),
        ("http://[fe80::dead%251]/", "fe80::dead, a link-local address"),
        ("http://[ff02::1%25lo]/", "ff02::1, a multicast address"),
        ("http://[fe80::abcd]/", "fe80::abcd, a link-local address"),
        ("http://[fc00::1]/", "fc00::1, a unique-local address"),
        ("http://[fd12:3456::1]/", "fd12:3456::1, a unique-local address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254, a cloud metadata address"),
        ("http://[ff02::1]/", "ff02::1, a multicast address"),
        ("http://[2001:db8::1]/", "2001:db8::1, a documentation address"),
        ("http://[3fff::1]/", "3fff::1, a documentation address"),
        ("http://[2001::1]/", "2001::1, a special-purpose address"),
        ("http://[fec0::1]/", "fec0::1, a reserved address"),
        ("http://[100::1]/", "100::1, a reserved address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1), a loopback address"),
        ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1 (IPv4-mapped 127.0.0.1), a loopback address"),
        ("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254 (IPv4-mapped 169.254.169.254), a cloud metadata address"),
        ("http://[::ffff:10.0.0.5]/", "::ffff:10.0.0.5 (IPv4-mapped 10.0.0.5), a private address"),
        ("http://[64:ff9b::10.0.0.5]/", "64:ff9b::a00:5 (NAT64 10.0.0.5), a private address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe (NAT64 169.254.169.254), a cloud metadata address"),
        ("http://[2002:7f00:1::]/", "2002:7f00:1:: (6to4 127.0.0.1), a loopback address"),
        ("http://[::127.0.0.1]/", "::127.0.0.1 (IPv4-compatible 127.0.0.1), a loopback address"),
    ])
    func theDefaultPolicyRefuses(_ url: String, _ explanation: String) async throws {
        let error = await #expect(throws: WebhookError.self) { _ = try await CallbackURL.check(url) }
        #expect(error?.code == .invalidCallbackURL)
        #expect(error?.message.contains("resolves to \(explanation)") == true, "\(error?.message ?? "no error") ≠ \(explanation)")
    }

    @Test func aZoneOnANonLinkLocalAddressDoesNotResolveAndIsRefused() async throws {
        // glibc gives scopes to link-local and multicast addresses only; `::1%lo` has no address.
        let error = await #expect(throws: WebhookError.self) { _ = try await CallbackURL.check("http://[::1%25lo]/") }
        #expect(error?.code == .invalidCallbackURL)
    }

    @Test func theRefusalNamesTheHostAndTheAddress() async throws {
        let error = await #expect(throws: WebhookError.self) { _ = try await CallbackURL.check("https://0x7f.1:8443/hook?token=abc") }
        #expect(error?.message == "callback_url host '0x7f.1' resolves to 127.0.0.1, a loopback address")
    }

    @Test(arguments: ["http://93.184.215.14/hook", "https://8.8.8.8:65535/x?y=1", "http://[2606:4700:4700::1111]/", "http://[::ffff:8.8.8.8]/"])
    func globalAddressesPassAndArePinned(_ url: String) async throws {
        let checked = try await CallbackURL.check(url)
        #expect(checked.addresses.count == 1)
        #expect(AddressClassification.classify(try #require(checked.addresses.first)).category == .global)
    }

    @Test func anUnresolvableHostIsRefused() async throws {
        let error = await #expect(throws: WebhookError.self) { _ = try await CallbackURL.check("https://no-such-host.invalid/hook") }
        #expect(error?.code == .invalidCallbackURL)
        #expect(error?.message.hasPrefix("callback_url host 'no-such-host.invalid' cannot be resolved") == true, "\(error?.message ?? "")")
    }

    @Test func oneRefusedAddressAmongGoodOnesRefusesTheURL() async throws {
        let resolver = ScriptedResolver(answers: [[IPAddress("93.184.215.14"), IPAddress("10.1.2.3")].compactMap { $0 }])
        let error = await #expect(throws: WebhookError.self) {
            _ = try await CallbackURL.check("https://mixed.example/hook", resolver: resolver)
        }
        #expect(error?.message == "callback_url host 'mixed.example' resolves to 10.1.2.3, a private address")
        #expect(resolver.calls == 1)
    }

    @Test func theDevelopmentPolicyOpensPrivateNetworksOnly() async throws {
        let development = WebhookPolicy(allowPrivateNetworks: true)
        for url in [
            "http://localhost:9/", "http://127.1/", "http://10.0.0.5/", "http://[::1]/", "http://[fd12::1]/", "http://100.64.1.1/",
            "http://[::ffff:192.168.0.1]/",
        ] {
            _ = try await CallbackURL.check(url, policy: development)
        }
        for url in [
            "http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://169.254.1.1/", "http://[fe80::1%25lo]/", "http://0.0.0.0/",
            "http://224.0.0.1/", "http://255.255.255.255/", "http://240.0.0.1/", "http://192.0.2.1/", "http://[::ffff:169.254.169.254]/",
        ] {
            await #expect(throws: WebhookError.self, "\(url)") { _ = try await CallbackURL.check(url, policy: development) }
        }
    }
}

/// Every range, at its edges, straight through the classifier.
@Suite struct AddressClassificationTests {
    @Test(arguments: [
        ("0.255.255.255", AddressCategory.unspecified), ("1.0.0.0", .global), ("9.255.255.255", .global), ("10.0.0.0", .privateNetwork),
        ("10.255.255.255", .privateNetwork), ("11.0.0.0", .global), ("100.63.255.255", .global), ("100.64.0.0", .sharedAddressSpace),
        ("100.127.255.255", .sharedAddressSpace), ("100.128.0.0", .global), ("126.255.255.255", .global), ("127.0.0.0", .loopback),
        ("128.0.0.0", .global), ("169.253.255.255", .global), ("169.254.0.0", .linkLocal), ("169.254.255.255", .linkLocal),
        ("169.255.0.0", .global), ("172.15.255.255", .global), ("172.16.0.0", .privateNetwork), ("172.31.255.255", .privateNetwork),
        ("172.32.0.0", .global), ("192.0.0.0", .specialPurpose), ("192.0.1.0", .global), ("192.0.2.255", .documentation),
        ("192.0.3.0", .global), ("192.88.99.255", .specialPurpose), ("192.167.255.255", .global), ("192.168.0.0", .privateNetwork),
        ("192.168.255.255", .privateNetwork), ("192.169.0.0", .global), ("198.17.255.255", .global), ("198.18.0.0", .benchmarking),
        ("198.19.255.255", .benchmarking), ("198.20.0.0", .global), ("198.51.100.0", .documentation), ("203.0.113.255", .documentation),
        ("223.255.255.255", .global), ("224.0.0.0", .multicast), ("239.255.255.255", .multicast), ("240.0.0.0", .reserved),
        ("255.255.255.254", .reserved), ("255.255.255.255", .broadcast),
        ("::2", .unspecified), ("1fff:ffff::", .reserved), ("2000::", .global), ("2001:1ff::", .specialPurpose), ("2001:200::", .global),
        ("2001:db7:ffff::", .global), ("2001:db9::", .global), ("3ffe::", .global), ("3fff:fff::", .documentation),
        ("3fff:1000::", .global), ("4000::", .reserved), ("fbff::", .reserved), ("fc00::", .uniqueLocal), ("fdff:ffff::", .uniqueLocal),
        ("fe7f::", .reserved), ("fe80::", .linkLocal), ("febf::", .linkLocal), ("fec0::", .reserved), ("ff00::", .multicast),
        ("64:ff9b::808:808", .global), ("64:ff9b:1::1", .reserved), ("2002:808:808::", .global), ("2002:a00:1::", .privateNetwork),
    ])
    func rangesAtTheirEdges(_ text: String, _ category: AddressCategory) throws {
        let address = try #require(IPAddress(text), "\(text) parses")
        #expect(AddressClassification.classify(address).category == category, "\(text)")
    }

    @Test func addressesPrintCanonically() throws {
        #expect(try #require(IPAddress("0:0:0:0:0:ffff:7f00:1")).description == "::ffff:127.0.0.1")
        #expect(try #require(IPAddress("2001:DB8:0:0:0:0:0:1")).description == "2001:db8::1")
        #expect(IPAddress("127.1") == nil)
        #expect(IPAddress("fe80::1%lo") == nil)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(IPAddress(bytes: [1, 2, 3, 4])?.description == "1.2.3.4")
    }

    @Test func everyCategoryHasAPhraseAndOnlyPrivateOnesOpenForDevelopment() {
        let open = AddressCategory.allCases.filter(\.isPrivateNetwork)
        #expect(Set(open) == [.loopback, .privateNetwork, .sharedAddressSpace, .uniqueLocal])
        for category in AddressCategory.allCases { #expect(!category.phrase.isEmpty) }
        #expect(WebhookPolicy().permits(.global))
        #expect(!WebhookPolicy().permits(.loopback))
        #expect(WebhookPolicy(allowPrivateNetworks: true).permits(.loopback))
        #expect(!WebhookPolicy(allowPrivateNetworks: true).permits(.cloudMetadata))
    }
}
