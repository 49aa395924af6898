import Foundation

/// What a finished child process left: its status and its output (stdout, and stderr too
/// unless it was kept apart).
public struct ChildOutput: Sendable {
    public let status: Int32
    public let output: Data

    public var text: String { String(decoding: output, as: UTF8.self) }
}

/// Runs a program to its end off the cooperative pool and returns its status and output.
/// - Parameters:
///   - executable: an absolute path, or a name looked up on `PATH` (through `/usr/bin/env`).
///   - includeStandardError: stderr joins the output when true, goes to /dev/null when false.
public func runChild(
    _ executable: String,
    _ arguments: [String] = [],
    directory: URL? = nil,
    environment: [String: String]? = nil,
    input: Data? = nil,
    includeStandardError: Bool = true
) async throws -> ChildOutput {
    try await offThePool {
        let process = Process()
        if executable.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = includeStandardError ? output : FileHandle.nullDevice
        let stdin = input.map { _ in Pipe() }
        if let stdin { process.standardInput = stdin }
        try process.run()
        if let stdin, let input {
            // Written from a thread of its own: a child that answers before reading all of its
            // input would otherwise fill the output pipe while we are still writing.
            let writer = Thread {
                stdin.fileHandleForWriting.write(input)
                try? stdin.fileHandleForWriting.close()
            }
            writer.start()
        }
        // Read before waiting: a full pipe would otherwise block the child forever.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ChildOutput(status: process.terminationStatus, output: data)
    }
}
