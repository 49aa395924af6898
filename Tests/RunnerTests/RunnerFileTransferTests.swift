import Foundation
import RunnerClient
import RunnerProtocol
import Synchronization
import TestSupport
import Testing

/// File transfers over one runner channel (issue 12, item 2): downloads go a window at a time
/// as they are read, so a reader that stops costs at most two windows however big the file;
/// an upload whose contents fail reports that failure and leaves the channel working.
@Suite("Runner file transfers", .timeLimit(.minutes(2)))
struct RunnerFileTransferTests {
    static func withRunner(_ body: (RunnerConnection, CountingChannel) async throws -> Void) async throws {
        let runner = try LocalRunner()
        let channel = CountingChannel(base: runner)
        let connection = RunnerConnection(channel: channel)
        do {
            try await connection.handshake(timeout: .seconds(20))
            try await body(connection, channel)
        } catch {
            try? await runner.stop()
            throw error
        }
        try await runner.stop()
    }

    static func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) &+ seed }
    }

    static func read(_ download: FileDownload, upTo limit: Int = .max) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in download.chunks {
            bytes += chunk
            if bytes.count >= limit { break }
        }
        return bytes
    }

    @Test("a download arrives whole and exact, across window boundaries and for any range")
    func windowsJoinUp() async throws {
        try await Self.withRunner { connection, channel in
            let window = Int(RunnerConnection.downloadWindow)
            let content = Self.pattern(5 * window + 123)
            try Data(content).write(to: channel.base.workspace.appendingPathComponent("big"))
            try Data(Self.pattern(2 * window)).write(to: channel.base.workspace.appendingPathComponent("exact"))
            try Data().write(to: channel.base.workspace.appendingPathComponent("empty"))

            let whole = try await connection.readFile(ReadFileRequest(path: "big"))
            #expect(whole.info.size == UInt64(content.count))
            #expect(try await Self.read(whole) == content)
            #expect(try await connection.readFileBytes(ReadFileRequest(path: "exact")) == Self.pattern(2 * window))
            #expect(try await connection.readFileBytes(ReadFileRequest(path: "empty")).isEmpty)
            for (offset, length) in [(window - 7, 2 * window + 11), (3, 5), (5 * window, 1000), (6 * window, 0), (0, 1 << 40)] {
                let slice = try await connection.readFileBytes(ReadFileRequest(path: "big", offset: UInt64(offset), length: UInt64(length)))
                let start = min(offset, content.count)
                let end = length == 0 ? content.count : min(content.count, offset + length)
                #expect(slice == Array(content[start..<max(start, end)]), "offset \(offset) length \(length)")
            }
            // Files that report size 0 are read to their end, whatever it is.
            let status = try await connection.readFileBytes(ReadFileRequest(path: "/proc/self/status"))
            #expect(String(decoding: status, as: UTF8.self).contains("Pid:"))
        }
    }

    @Test("a download nobody reads holds at most two windows")
    func stalledReaderHoldsTwoWindows() async throws {
        try await Self.withRunner { connection, channel in
            let window = Int(RunnerConnection.downloadWindow)
            try Data(Self.pattern(12 * window)).write(to: channel.base.workspace.appendingPathComponent("huge"))
            let before = channel.received
            let download = try await connection.readFile(ReadFileRequest(path: "huge"))
            // Both windows asked for arrive; then the runner is kept busy with round trips, which
            // would carry on any further data it had been asked for.
            #expect(await eventually { channel.received - before >= 2 * window })
            for _ in 0..<50 { _ = try await connection.stat(path: "huge") }
            let held = channel.received - before
            #expect(held < 2 * window + 256 * 1024, "\(held) bytes came in for a download nobody read")
            // Reading on fetches the rest, exact.
            #expect(try await Self.read(download) == Self.pattern(12 * window))
        }
    }

    @Test("a file that grows is read to its first size; one that shrinks or is rewritten fails the download")
    func changesBetweenWindows() async throws {
        try await Self.withRunner { connection, channel in
            let window = Int(RunnerConnection.downloadWindow)
            let url = channel.base.workspace.appendingPathComponent("changing")
            let original = Self.pattern(4 * window)

            // The first window read means the third is asked for only after the change.
            try Data(original).write(to: url)
            let growing = try await connection.readFile(ReadFileRequest(path: "changing"))
            var got = try await Self.read(growing, upTo: window)
            let handle = try FileHandle(forWritingTo: url)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(Self.pattern(window, seed: 9)))
            try handle.close()
            for try await chunk in growing.chunks { got += chunk }
            #expect(got == original, "read up to the size the file had when the download started")

            for change in ["shrink", "rewrite"] {
                try Data(original).write(to: url)
                let download = try await connection.readFile(ReadFileRequest(path: "changing"))
                _ = try await Self.read(download, upTo: window)
                if change == "shrink" {
                    try Data(original.prefix(window + window / 2)).write(to: url)
                } else {
                    try Data(Self.pattern(4 * window, seed: 1)).write(to: url)
                    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: url.path)
                }
                let error = await #expect(throws: RunnerClientError.self, "\(change)") {
                    for try await _ in download.chunks {}
                }
                #expect(error?.message.contains("changed while it was being read") == true, "\(change): \(String(describing: error))")
            }
        }
    }

    @Test("an upload whose contents fail throws that failure and the channel carries on")
    func uploadContentsFailure() async throws {
        try await Self.withRunner { connection, _ in
            await #expect(throws: ContentsBroke.self) {
                _ = try await connection.writeFile(WriteFileRequest(path: "partial"), contents: BreakingChunks(before: 3))
            }
            #expect(connection.closedError == nil)
            #expect(try await connection.stat(path: "partial").kind == .file)
            let written = try await connection.writeFile(WriteFileRequest(path: "after"), bytes: [1, 2, 3])
            #expect(written.size == 3)
        }
    }
}

struct ContentsBroke: Error {}

/// `before` chunks of 64 KiB, then a failure (a client that went away, a body over its limit).
struct BreakingChunks: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let before: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var left: Int
        mutating func next() async throws -> [UInt8]? {
            guard left > 0 else { throw ContentsBroke() }
            left -= 1
            return [UInt8](repeating: 7, count: 64 * 1024)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(left: before) }
}

/// A runner channel that counts the bytes the runner sent.
final class CountingChannel: RunnerChannel, Sendable {
    let base: LocalRunner
    private let count = Atomic<Int>(0)

    init(base: LocalRunner) { self.base = base }

    var received: Int { count.load(ordering: .acquiring) }

    func write(_ bytes: [UInt8]) async throws { try await base.write(bytes) }

    var inbound: any AsyncSequence<[UInt8], any Error> & Sendable { Counted(base: base.inboundStream, channel: self) }

    func close() { base.close() }

    fileprivate func add(_ bytes: Int) { count.add(bytes, ordering: .relaxed) }

    private struct Counted: AsyncSequence, Sendable {
        typealias Element = [UInt8]
        let base: AsyncThrowingStream<[UInt8], any Error>
        let channel: CountingChannel

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
            let channel: CountingChannel
            mutating func next() async throws -> [UInt8]? {
                let bytes = try await base.next()
                if let bytes { channel.add(bytes.count) }
                return bytes
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), channel: channel) }
    }
}
