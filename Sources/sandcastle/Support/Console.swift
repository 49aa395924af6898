import Foundation

/// Unbuffered writes to the terminal: output must appear as the sandbox produces it.
enum Console {
    static func write(_ bytes: [UInt8]) { writeAll(STDOUT_FILENO, bytes) }
    static func writeError(_ bytes: [UInt8]) { writeAll(STDERR_FILENO, bytes) }
    static func print(_ line: String) { write(Array((line + "\n").utf8)) }
    static func error(_ line: String) { writeError(Array((line + "\n").utf8)) }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(fd, buffer.baseAddress.map { $0 + offset }, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return // the reader went away (EPIPE): nothing useful left to do
                }
                offset += written
            }
        }
    }
}

/// A local file as upload chunks, read as they are sent.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let handle: FileHandle

    struct AsyncIterator: AsyncIteratorProtocol {
        let handle: FileHandle
        mutating func next() async throws -> [UInt8]? {
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            return data.isEmpty ? nil : [UInt8](data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(handle: handle) }
}
