/// The exact values the server holds (its credentials and provider keys), found wherever they
/// appear. A 64 Ki-bit map of each value's first two bytes lets the scanner skip almost every
/// position with one load; the few positions that pass compare the candidates, longest first.
struct ExactValues: Sendable {
    /// Values shorter than this are ignored: they would redact ordinary words.
    static let minimumLength = 8

    private(set) var values: [[UInt8]] = []
    private var bigrams = [UInt64](repeating: 0, count: 1024)
    private var candidates: [UInt16: [Int]] = [:]

    init(_ strings: [String]) {
        add(strings)
    }

    var isEmpty: Bool { values.isEmpty }

    mutating func add(_ strings: [String]) {
        var known = Set(values)
        for string in strings where string.count >= Self.minimumLength {
            let bytes = Array(string.utf8)
            guard known.insert(bytes).inserted else { continue }
            values.append(bytes)
        }
        bigrams = [UInt64](repeating: 0, count: 1024)
        candidates = [:]
        // Longest first: a value that contains another is redacted whole.
        for (index, value) in values.enumerated().sorted(by: { $0.element.count > $1.element.count }) {
            let key = UInt16(value[0]) << 8 | UInt16(value[1])
            bigrams[Int(key >> 6)] |= 1 << UInt64(key & 63)
            candidates[key, default: []].append(index)
        }
    }

    /// Whether some value may start with these two bytes.
    @inline(__always) func mayStart(_ first: UInt8, _ second: UInt8) -> Bool {
        let key = UInt16(first) << 8 | UInt16(second)
        return bigrams.withUnsafeBufferPointer { $0[Int(key >> 6)] >> UInt64(key & 63) & 1 == 1 }
    }

    /// The end of the longest value at `start`, if one is there.
    func match(_ text: ByteText, at start: Int) -> Int? {
        let key = UInt16(text[start]) << 8 | UInt16(text.at(start + 1))
        guard let indices = candidates[key] else { return nil }
        for index in indices where text.has(values[index], at: start) { return start + values[index].count }
        return nil
    }
}
