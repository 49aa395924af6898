import Testing

@testable import Webhooks

/// Parsing alone: what a callback URL may look like, before any lookup.
@Suite struct CallbackURLTests {
    @Test func acceptsHTTPAndHTTPSWithTheirParts() throws {
        let plain = try CallbackURL(parsing: "http://Example.COM/hooks/run?x=1#frag")
        #expect(plain.scheme == .http)
        #expect(plain.host == "example.com")
        #expect(plain.port == 80)
        #expect(plain.target == "/hooks/run?x=1")
        #expect(plain.zone == nil)

        let secure = try CallbackURL(parsing: "HTTPS://hooks.example.com:8443")
        #expect(secure.scheme == .https)
        #expect(secure.port == 8443)
        #expect(secure.target == "/")
        #expect(secure.masked == "https://hooks.example.com:8443/")

        let query = try CallbackURL(parsing: "https://h.example?only=query")
        #expect(query.target == "/?only=query")
        let emptyPort = try CallbackURL(parsing: "https://h.example:/p")
        #expect(emptyPort.port == 443)
    }

    @Test func bracketedIPv6KeepsItsZoneForTheResolverOnly() throws {
        let scoped = try CallbackURL(parsing: "http://[FE80::1%25lo]:8080/x")
        #expect(scoped.host == "fe80::1")
        #expect(scoped.zone == "lo")
        #expect(scoped.resolverHost == "fe80::1%lo")
        #expect(scoped.masked == "http://[fe80::1]:8080/x")
        #expect(try CallbackURL(parsing: "http://[::1]/").host == "::1")
    }

    @Test(arguments: [
        ("ftp://example.com/x", "must use http or https, not 'ftp'"),
        ("javascript:alert(1)", "must use http or https, not 'javascript'"),
        ("file:///etc/passwd", "must use http or https, not 'file'"),
        ("example.com/hook", "must be an http:// or https:// URL"),
        ("//example.com/hook", "must be an http:// or https:// URL"),
        (" http://example.com", "must be an http:// or https:// URL"),
        ("http://", "has no host"),
        ("http:///path", "has no host"),
        ("http://:8080/", "has no host"),
        ("http://user:pass@example.com/", "must not carry credentials"),
        ("http://user@example.com/", "must not carry credentials"),
        ("http://example.com@127.0.0.1/", "must not carry credentials"),
        ("http://a\\@127.0.0.1/", "must not carry credentials"),
        ("http://a\\b.example/", "the character '\\'"),
        ("http://exa mple.com/", "the character ' '"),
        ("http://example.com%2f@x/", "must not carry credentials"),
        ("http://ex%61mple.com/", "the character '%'"),
        ("http://bücher.example/", "non-ASCII host"),
        ("http://example.com:0/", "not a number from 1 to 65535"),
        ("http://example.com:65536/", "not a number from 1 to 65535"),
        ("http://example.com:-1/", "not a number from 1 to 65535"),
        ("http://example.com:+80/", "not a number from 1 to 65535"),
        ("http://example.com:8o/", "not a number from 1 to 65535"),
        ("http://::1/", "without brackets"),
        ("http://[::1/", "unclosed '['"),
        ("http://[::1]x/", "characters after its IPv6 address"),
        ("http://[127.0.0.1]/", "not an IPv6 address"),
        ("http://[fe80::1%25]/", "invalid IPv6 zone"),
        ("http://[fe80::1%25a b]/", "invalid IPv6 zone"),
        ("http://example.com/\u{0}x", "contains a control character"),
        ("http://example.com/\r\nX-Injected: 1", "contains a control character"),
        ("http://exam\tple.com/", "contains a control character"),
        ("http://example.com/\u{7F}", "contains a control character"),
    ])
    func refusesWithAReason(_ text: String, _ reason: String) {
        let error = #expect(throws: WebhookError.self) { try CallbackURL(parsing: text) }
        #expect(error?.code == .invalidCallbackURL)
        #expect(error?.apiCode == "INVALID_CALLBACK_URL")
        #expect(error?.message.hasPrefix("callback_url ") == true)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error") should say \(reason)")
    }

    @Test func refusalsNeverRepeatCredentialsOrTheURL() {
        for text in ["http://admin:hunter2@example.com/", "ftp://admin:hunter2@example.com/", "http://example.com:99999/?token=hunter2"] {
            let error = #expect(throws: WebhookError.self) { try CallbackURL(parsing: text) }
            #expect(error?.message.contains("hunter2") == false, "\(error?.message ?? "")")
        }
    }

    @Test func lengthIsCappedAt2048Bytes() throws {
        let base = "https://example.com/"
        let fits = base + String(repeating: "a", count: CallbackURL.maximumLength - base.utf8.count)
        #expect(try CallbackURL(parsing: fits).target.utf8.count == CallbackURL.maximumLength - "https://example.com".utf8.count)
        let error = #expect(throws: WebhookError.self) { try CallbackURL(parsing: fits + "a") }
        #expect(error?.message == "callback_url is longer than 2048 bytes")
        // Multi-byte characters count as their bytes.
        #expect(throws: WebhookError.self) { try CallbackURL(parsing: base + String(repeating: "é", count: 1100)) }
    }

    @Test func hostileCharactersInThePathAreEncodedNotSent() throws {
        let url = try CallbackURL(parsing: "https://example.com/a b/\"<x>\"/ü?q={1}|`^\\")
        #expect(url.target == "/a%20b/%22%3Cx%3E%22/%C3%BC?q=%7B1%7D%7C%60%5E%5C")
        // Escapes already written stay as they are.
        #expect(try CallbackURL(parsing: "https://example.com/a%20b?x=%2F").target == "/a%20b?x=%2F")
    }

    @Test func maskingHidesEveryQueryValue() throws {
        let url = try CallbackURL(parsing: "https://hooks.example.com:444/in/abc?token=s3cr3t&sig=xyz&flag&=v#frag")
        #expect(url.masked == "https://hooks.example.com:444/in/abc?token=***&sig=***&***&=***")
        #expect(url.description == url.masked)
        #expect(!url.masked.contains("s3cr3t") && !url.masked.contains("xyz"))
        #expect(try CallbackURL(parsing: "http://h.example/p").masked == "http://h.example/p")
    }
}
