import DockerEngine
import Foundation
import HTTPTransport
import RunnerClient
import Sandbox
import Synchronization

/// The runner channel over the Docker Engine's attach stream.
///
/// The container runs without a TTY, so the engine multiplexes the runner's stdout and
/// stderr into one stream with 8-byte headers. Frames travel on stdout; stderr carries
/// the runner's own diagnostics, of which the tail is kept to explain a crash.
///
/// Attach is part of the Engine API, so this works against a remote engine too
/// (tcp:// + TLS), unlike a Unix socket in the container's filesystem.
final class AttachedRunnerChannel: RunnerChannel {
    private let stream: UpgradedStream
    private let diagnostics = Mutex<[UInt8]>([])
    static let diagnosticsLimit = 8 * 1024

    init(stream: UpgradedStream) {
        self.stream = stream
    }

    func write(_ bytes: [UInt8]) async throws {
        try await stream.write(bytes)
    }

    var inbound: any AsyncSequence<[UInt8], any Error> & Sendable {
        RunnerStdout(raw: stream.inbound, diagnostics: self)
    }

    func close() {
        stream.close()
    }

    /// The last lines the runner wrote to stderr, for error messages.
    var diagnosticsTail: String {
        String(decoding: diagnostics.withLock { $0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    fileprivate func recordDiagnostics(_ bytes: [UInt8]) {
        diagnostics.withLock { buffer in
            buffer.append(contentsOf: bytes)
            if buffer.count > Self.diagnosticsLimit { buffer.removeFirst(buffer.count - Self.diagnosticsLimit) }
        }
    }
}

/// Demultiplexes the attach stream inline (no extra task per chunk) and yields the runner's stdout.
private struct RunnerStdout: AsyncSequence, Sendable {
    typealias Element = [UInt8]
    let raw: AsyncThrowingStream<[UInt8], any Error>
    let diagnostics: AttachedRunnerChannel

    struct AsyncIterator: AsyncIteratorProtocol {
        var raw: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        var demuxer = StdStreamDemuxer()
        let diagnostics: AttachedRunnerChannel

        mutating func next() async throws -> [UInt8]? {
            while true {
                var stdout: [UInt8] = []
                while let frame = try demuxer.next() {
                    switch frame.stream {
                    case .stdout: stdout.append(contentsOf: frame.payload)
                    default: diagnostics.recordDiagnostics(frame.payload)
                    }
                }
                if !stdout.isEmpty { return stdout }
                guard let chunk = try await raw.next() else { return nil }
                demuxer.append(chunk)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(raw: raw.makeAsyncIterator(), diagnostics: diagnostics)
    }
}
