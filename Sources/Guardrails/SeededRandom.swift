/// A small seeded generator (SplitMix64): the same seed gives the same corpus on every machine,
/// so the recall tests and `sandcastle bench scrub` measure the same text every run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// `count` characters drawn from `alphabet` (ASCII).
    public mutating func string(_ alphabet: String, count: Int) -> String {
        let characters = Array(alphabet.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(characters[Int.random(in: 0..<characters.count, using: &self)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Like `string`, with at least one letter and one digit (random keys have both).
    public mutating func mixedString(_ alphabet: String, count: Int) -> String {
        var bytes = Array(string(alphabet, count: count).utf8)
        guard count >= 2 else { return String(decoding: bytes, as: UTF8.self) }
        let letterAt = Int.random(in: 0..<count, using: &self)
        var digitAt = Int.random(in: 0..<count, using: &self)
        if digitAt == letterAt { digitAt = (letterAt + 1) % count }
        bytes[letterAt] = Array("abcdefXYZ".utf8)[Int.random(in: 0..<9, using: &self)]
        bytes[digitAt] = UInt8(0x30 + Int.random(in: 0..<10, using: &self))
        return String(decoding: bytes, as: UTF8.self)
    }

    public mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[Int.random(in: 0..<elements.count, using: &self)]
    }
}
