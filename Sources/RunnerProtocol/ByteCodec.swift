/// A tiny big-endian binary codec for runner frames.
///
/// The runner links without Foundation, so the wire format cannot be JSON through
/// `JSONEncoder`. Fields are written in a fixed order per message: integers in
/// network byte order, strings and byte blobs as a `UInt32` length followed by the
/// bytes, arrays as a `UInt32` count followed by the elements.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: UInt8) { bytes.append(value) }
    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }
    public mutating func write(_ value: UInt16) { writeInteger(value) }
    public mutating func write(_ value: UInt32) { writeInteger(value) }
    public mutating func write(_ value: UInt64) { writeInteger(value) }
    public mutating func write(_ value: Int32) { writeInteger(UInt32(bitPattern: value)) }
    public mutating func write(_ value: Int64) { writeInteger(UInt64(bitPattern: value)) }

    public mutating func write(_ value: String) {
        let utf8 = value.utf8
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    public mutating func write(blob: some Collection<UInt8>) {
        write(UInt32(blob.count))
        bytes.append(contentsOf: blob)
    }

    public mutating func write(_ strings: [String]) {
        write(UInt32(strings.count))
        for string in strings { write(string) }
    }

    /// Appends bytes with no length prefix (the caller's framing knows the size).
    public mutating func append(raw: some Collection<UInt8>) {
        bytes.append(contentsOf: raw)
    }

    private mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { bytes.append(contentsOf: $0) }
    }
}

/// Reads what ``ByteWriter`` wrote. Every read is bounds-checked and throws
/// ``RunnerProtocolError`` on truncated or malformed input; nothing traps.
public struct ByteReader: Sendable {
    public let bytes: ArraySlice<UInt8>
    public private(set) var position: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    public var remaining: Int { bytes.endIndex - position }
    public var isAtEnd: Bool { position >= bytes.endIndex }

    public mutating func readUInt8() throws(RunnerProtocolError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated("UInt8") }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readBool() throws(RunnerProtocolError) -> Bool { try readUInt8() != 0 }
    public mutating func readUInt16() throws(RunnerProtocolError) -> UInt16 { try readInteger() }
    public mutating func readUInt32() throws(RunnerProtocolError) -> UInt32 { try readInteger() }
    public mutating func readUInt64() throws(RunnerProtocolError) -> UInt64 { try readInteger() }
    public mutating func readInt32() throws(RunnerProtocolError) -> Int32 { Int32(bitPattern: try readInteger()) }
    public mutating func readInt64() throws(RunnerProtocolError) -> Int64 { Int64(bitPattern: try readInteger()) }

    public mutating func readBlob() throws(RunnerProtocolError) -> ArraySlice<UInt8> {
        let count = Int(try readUInt32())
        guard remaining >= count else { throw .truncated("blob of \(count) bytes") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    public mutating func readString() throws(RunnerProtocolError) -> String {
        String(decoding: try readBlob(), as: UTF8.self)
    }

    public mutating func readStrings() throws(RunnerProtocolError) -> [String] {
        let count = Int(try readUInt32())
        // Each string needs at least its 4-byte length; refuse counts the input cannot hold.
        guard count <= remaining / 4 else { throw .truncated("array of \(count) strings") }
        var result: [String] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try readString()) }
        return result
    }

    /// Everything left, with no length prefix.
    public mutating func readRest() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }

    private mutating func readInteger<T: FixedWidthInteger>() throws(RunnerProtocolError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw .truncated(String(describing: T.self)) }
        var value: T = 0
        for index in position..<(position + size) {
            value = (value << 8) | T(bytes[index])
        }
        position += size
        return value
    }
}
