import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What every part of the runner shares. Everything runs on the one reactor thread,
/// so plain mutable state is safe here.
final class RunnerContext {
    let outbound: Outbound
    /// The runner's environment, the base of every child's.
    let environment: [String]
    /// Where relative paths and children without a cwd start (normally /workspace).
    let workingDirectory: String
    /// Set when the runner serves files beneath one directory only (a workspace browser's helper).
    let fileRoot: FileRoot?
    /// One read buffer for every fd: the reactor handles one readable fd at a time.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// The sandbox's OOM kill count, read around every exec and spawn.
    let oomKills = OOMKills()
    private var completed: [UInt32] = []

    init(outbound: Outbound, environment: [String], workingDirectory: String, fileRoot: FileRoot? = nil) {
        self.outbound = outbound
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.fileRoot = fileRoot
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: RunnerWire.chunkSize, alignment: 16)
    }

    deinit { readBuffer.deallocate() }

    func send(_ id: UInt32, _ message: RunnerMessage) { outbound.send(id, message) }

    /// Marks an operation as over, so its id can be reused and no further frames route to it.
    func complete(_ id: UInt32) { completed.append(id) }

    func takeCompleted() -> [UInt32] {
        defer { completed.removeAll(keepingCapacity: true) }
        return completed
    }

    func resolve(_ path: String) -> String { absolutePath(path, relativeTo: workingDirectory) }

    /// Reads what `fd` has now into the shared buffer.
    /// Returns the byte count, 0 at EOF, -1 when it would block, or -2 on error (errno set).
    func readAvailable(_ fd: Int32) -> Int {
        let got = retryingInterrupts { read(fd, readBuffer.baseAddress, readBuffer.count) }
        if got >= 0 { return got }
        return errno == EAGAIN || errno == EWOULDBLOCK ? -1 : -2
    }
}
