/// The driver of the PII scanners: which scanner to try at which byte, in which order.
struct PIIScanners: Sendable {
    let email, phone, ssn, creditCard, ipAddress, iban, dob: Bool
    let latestBirthYear: Int

    init(entities: Set<PIIEntity>, latestBirthYear: Int) {
        email = entities.contains(.email)
        phone = entities.contains(.phone)
        ssn = entities.contains(.ssn)
        creditCard = entities.contains(.creditCard)
        ipAddress = entities.contains(.ipAddress)
        iban = entities.contains(.iban)
        dob = entities.contains(.dob)
        self.latestBirthYear = latestBirthYear
    }

    func find(in text: ByteText) -> [ByteMatch] {
        var found: [ByteMatch] = []
        var floor = 0
        var index = 0
        while index < text.count {
            if let match = match(text, at: index, floor: floor), match.start >= floor {
                found.append(match)
                index = match.end
                floor = match.end
            } else {
                index += 1
            }
        }
        return found
    }

    @inline(__always) private func match(_ text: ByteText, at index: Int, floor: Int) -> ByteMatch? {
        let byte = text[index]
        if Bytes.isDigit(byte) {
            guard NumberScanners.isNumberStart(text, index) else { return nil }
            if creditCard, let end = NumberScanners.creditCard(text, at: index) { return ByteMatch(start: index, end: end, kind: "credit_card") }
            if ssn, let end = NumberScanners.ssn(text, at: index) { return ByteMatch(start: index, end: end, kind: "ssn") }
            if phone, let end = PhoneScanner.national(text, at: index) { return ByteMatch(start: index, end: end, kind: "phone") }
            if dob, let end = NumberScanners.dateOfBirth(text, at: index, latestYear: latestBirthYear) {
                return ByteMatch(start: index, end: end, kind: "dob")
            }
            if ipAddress, let end = AddressScanners.ipv4(text, at: index) ?? AddressScanners.ipv6(text, at: index) {
                return ByteMatch(start: index, end: end, kind: "ip_address")
            }
            return nil
        }
        switch byte {
        case Bytes.at:
            return email ? AddressScanners.email(text, at: index, floor: floor) : nil
        case 0x2B, 0x28: // `+` and `(` start international and bracketed phone numbers
            guard phone, NumberScanners.isNumberStart(text, index) else { return nil }
            let end = byte == 0x2B ? PhoneScanner.international(text, at: index) : PhoneScanner.bracketed(text, at: index)
            return end.map { ByteMatch(start: index, end: $0, kind: "phone") }
        case Bytes.colon:
            guard ipAddress, text.at(index + 1) == Bytes.colon, text.isWordStart(index) else { return nil }
            return AddressScanners.ipv6(text, at: index).map { ByteMatch(start: index, end: $0, kind: "ip_address") }
        default:
            if iban, Bytes.isUpper(byte), text.isWordStart(index), let end = IBANScanner.match(text, at: index) {
                return ByteMatch(start: index, end: end, kind: "iban")
            }
            if ipAddress, Bytes.isHex(byte), text.isWordStart(index), let end = AddressScanners.ipv6(text, at: index) {
                return ByteMatch(start: index, end: end, kind: "ip_address")
            }
            return nil
        }
    }
}
