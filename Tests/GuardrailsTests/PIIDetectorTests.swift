import Guardrails
import Testing

@Suite("PIIDetector: the seven entities, with their validators")
struct PIIDetectorTests {
    let detector = PIIDetector()

    /// The kinds and texts found in `text`.
    func found(_ text: String, _ detector: PIIDetector = PIIDetector()) -> [String] {
        detector.matches(in: text).map { "\($0.kind):\(text[$0.range])" }
    }

    @Test("the whitepaper's examples become its placeholders")
    func whitepaperExamples() {
        let text = """
            Email user@company.com, phone +1 (555) 123-4567, SSN 123-45-6789, card 4111 1111 1111 1111,
            IP 192.168.1.1, IBAN DE89 3704 0044 0532 0130 00, born 15/03/1990.
            """
        let (redacted, matches) = detector.redact(text)
        #expect(
            redacted == """
                Email [EMAIL], phone [PHONE], SSN [SSN], card [CREDIT_CARD],
                IP [IP_ADDRESS], IBAN [IBAN], born [DOB].
                """)
        #expect(matches.map(\.kind) == ["email", "phone", "ssn", "credit_card", "ip_address", "iban", "dob"])
        #expect(matches.map { String(text[$0.range]) }.first == "user@company.com")
    }

    @Test("emails: plus addressing, subdomains, JSON-escaped newlines; not handles or file names")
    func emails() {
        #expect(found("a.b+tag@mail.example.co.uk") == ["email:a.b+tag@mail.example.co.uk"])
        #expect(found(#"line\nuser@example.org\n"#) == ["email:user@example.org"])
        #expect(found("write to ops@example.com.") == ["email:ops@example.com"])
        #expect(found("@handle, user@localhost, me@host.c0m, swift@5.9").isEmpty)
    }

    @Test("phones: North American and international forms; not versions, dates or long ids")
    func phones() {
        for phone in [
            "+1 (555) 123-4567", "(555) 123-4567", "555-123-4567", "555.123.4567", "+44 20 7946 0958", "+33 1 23 45 67 89", "+14155552671", "+49 30 1234567",
        ] {
            #expect(found("call \(phone) now") == ["phone:\(phone)"], "\(phone)")
        }
        #expect(found("version 1.2.3, build 12345, id 555-1234, +12").isEmpty)
    }

    @Test("SSNs: the SSA's never-issued areas, groups and serials are not SSNs")
    func socialSecurityNumbers() {
        #expect(found("ssn 123-45-6789") == ["ssn:123-45-6789"])
        #expect(found("ssn 078-05-1120") == ["ssn:078-05-1120"])
        for invalid in ["000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456", "123-00-4567", "123-45-0000", "1234-45-6789", "123-45-67890"] {
            #expect(found("ssn \(invalid)").filter { $0.hasPrefix("ssn") }.isEmpty, "\(invalid)")
        }
    }

    @Test("cards: 13 to 19 digits, grouped or not, Luhn-valid; a failing check digit is no card")
    func creditCards() {
        for card in [
            "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5500 0000 0000 0004", "3782 822463 10005", "6011000990139424", "4222222222222",
        ] {
            #expect(found("card \(card) ok") == ["credit_card:\(card)"], "\(card)")
        }
        for invalid in ["4111 1111 1111 1112", "4111111111111112", "1234567890123452", "4111 1111 1111"] {
            #expect(found("card \(invalid) ok").filter { $0.hasPrefix("credit_card") }.isEmpty, "\(invalid)")
        }
        // A card followed by more digit groups is still found, shorter.
        #expect(found("4111 1111 1111 1111 2024") == ["credit_card:4111 1111 1111 1111"])
    }

    @Test("IP addresses: v4 octets up to 255, v6 full and compressed; not versions or times")
    func ipAddresses() {
        for address in [
            "192.168.1.1", "10.0.0.255", "8.8.8.8", "2001:db8:85a3:0:0:8a2e:370:7334", "2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1", "::ffff:192.0.2.1",
        ] {
            #expect(found("host \(address) up") == ["ip_address:\(address)"], "\(address)")
        }
        for invalid in ["256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "12:30:45", "00:1a:2b:3c:4d:5e", "2001:db8:::1", "1:2:3:4:5:6:7:8:9"] {
            #expect(found("x \(invalid) y").filter { $0.hasPrefix("ip_address") }.isEmpty, "\(invalid)")
        }
    }

    @Test("IBANs: mod-97 valid, compact or in groups of four; a wrong check digit is no IBAN")
    func ibans() {
        for iban in [
            "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB29 NWBK 6016 1331 9268 19", "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300",
        ] {
            #expect(found("pay to \(iban) today") == ["iban:\(iban)"], "\(iban)")
        }
        for invalid in ["DE88 3704 0044 0532 0130 00", "GB29NWBK60161331926818", "DE89 3704"] {
            #expect(found("pay to \(invalid) today").filter { $0.hasPrefix("iban") }.isEmpty, "\(invalid)")
        }
        #expect(found("DE89 3704 0044 0532 0130 00 AND MORE") == ["iban:DE89 3704 0044 0532 0130 00"])
    }

    @Test("dates of birth: day-first, month-first and ISO, real days in plausible years; not timestamps")
    func datesOfBirth() {
        for date in ["15/03/1990", "03/15/1990", "1990-03-15", "15.03.1990", "29/02/2000", "1/2/1985"] {
            #expect(found("born \(date).") == ["dob:\(date)"], "\(date)")
        }
        for invalid in ["32/01/1990", "15/13/1990", "29/02/1900", "15/03/1850", "15/03/2999", "1990-03-15T10:00:00Z", "1990-03-15 10:00", "13/13/2000"] {
            #expect(found("at \(invalid) x").filter { $0.hasPrefix("dob") }.isEmpty, "\(invalid)")
        }
    }

    @Test("only the chosen entities; sorted, non-overlapping; names parse case-insensitively")
    func entitySelection() throws {
        let text = "mail a@b.io or call 555-123-4567, card 4111111111111111"
        #expect(found(text, PIIDetector(entities: [.email])) == ["email:a@b.io"])
        #expect(found(text, PIIDetector(entities: [.phone, .creditCard])) == ["phone:555-123-4567", "credit_card:4111111111111111"])
        let matches = detector.matches(in: text)
        #expect(zip(matches, matches.dropFirst()).allSatisfy { $0.range.upperBound <= $1.range.lowerBound })
        #expect(try PIIEntity(name: "CREDIT_CARD") == .creditCard)
        #expect(try PIIEntity(name: " Email ") == .email)
        #expect(PIIEntity.allCases.map(\.placeholder) == ["[EMAIL]", "[PHONE]", "[SSN]", "[CREDIT_CARD]", "[IP_ADDRESS]", "[IBAN]", "[DOB]"])
        do {
            _ = try PIIEntity(name: "passport")
            Issue.record("passport parsed")
        } catch {
            #expect(error.code == .invalidEntity)
            #expect(error.message.contains("passport") && error.message.contains("credit_card, ip_address, iban, dob"), "\(error.message)")
        }
    }

    @Test("text without PII is returned unchanged; hostile input is fine")
    func unchanged() {
        let text = "Deploy finished in 12.5 s (build 4821, 3 steps) <script>alert(1)</script> ../../etc/passwd \u{0}"
        let (redacted, matches) = detector.redact(text)
        #expect(redacted == text)
        #expect(matches.isEmpty)
        #expect(detector.redact("").text == "")
    }
}
