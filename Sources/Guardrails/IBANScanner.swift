/// IBANs: a country code, two check digits and an account number of letters and digits,
/// compact (`DE89370400440532013000`) or in groups of four (`DE89 3704 0044 0532 0130 00`),
/// 15 to 34 characters, valid under ISO 13616's mod-97 check.
enum IBANScanner {
    static func match(_ text: ByteText, at start: Int) -> Int? {
        guard Bytes.isUpper(text.at(start + 1)), Bytes.isDigit(text.at(start + 2)), Bytes.isDigit(text.at(start + 3)) else {
            return nil
        }
        var characters: [UInt8] = [text[start], text[start + 1], text[start + 2], text[start + 3]]
        /// Where a candidate may end, with the characters read up to there.
        var ends: [(end: Int, count: Int)] = []
        var position = start + 4
        if text.at(position) == Bytes.space {
            // Grouped: groups of four, the last one to four, one space between.
            while text.at(position) == Bytes.space, characters.count < 34 {
                let groupStart = position + 1
                var groupEnd = groupStart
                while groupEnd - groupStart < 4, isAccountByte(text.at(groupEnd)) { groupEnd += 1 }
                guard groupEnd > groupStart, !isAccountByte(text.at(groupEnd)) || groupEnd - groupStart == 4 else { break }
                if groupEnd - groupStart == 4, isAccountByte(text.at(groupEnd)) { break }
                for index in groupStart..<groupEnd { characters.append(text[index]) }
                ends.append((groupEnd, characters.count))
                position = groupEnd
                if groupEnd - groupStart < 4 { break }
            }
        } else {
            let end = text.run(of: .upperAlnum, from: position, limit: 31)
            for index in position..<end { characters.append(text[index]) }
            ends.append((end, characters.count))
        }
        for candidate in ends.reversed() where (15...34).contains(candidate.count) && !Bytes.isAlnum(text.at(candidate.end)) {
            if passesMod97(characters[0..<candidate.count]) { return candidate.end }
        }
        return nil
    }

    @inline(__always) private static func isAccountByte(_ byte: UInt8) -> Bool { Bytes.isUpper(byte) || Bytes.isDigit(byte) }

    /// ISO 7064 mod 97-10: the first four characters moved to the end, letters as 10-35, ≡ 1 (mod 97).
    static func passesMod97(_ characters: ArraySlice<UInt8>) -> Bool {
        var remainder = 0
        let rotated = characters.dropFirst(4) + characters.prefix(4)
        for byte in rotated {
            if Bytes.isDigit(byte) {
                remainder = (remainder * 10 + Int(byte - 0x30)) % 97
            } else {
                remainder = (remainder * 100 + Int(byte - 0x41 + 10)) % 97
            }
        }
        return remainder == 1
    }
}
