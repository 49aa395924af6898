/// A duplex byte channel to one runner.
///
/// The Docker backend implements it over the engine's attach stream (the runner's
/// stdin/stdout); tests implement it over the pipes of a runner started on the host.
public protocol RunnerChannel: Sendable {
    /// Writes the bytes contiguously, in call order, and returns once they are handed to the OS.
    func write(_ bytes: [UInt8]) async throws
    /// Everything the runner writes, in order. Finishes when the runner's side closes;
    /// throws when the transport fails. Consumed by exactly one reader; a plain sequence
    /// (not a stream) so an adapter such as a demultiplexer adds no task hop per chunk.
    var inbound: any AsyncSequence<[UInt8], any Error> & Sendable { get }
    /// Closes both directions; pending reads finish.
    func close()
}
