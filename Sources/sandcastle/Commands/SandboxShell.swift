import ArgumentParser
import Foundation
import Sandbox
import SandboxDocker

struct SandboxShell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "An interactive shell in a fresh sandbox, on a PTY attached to your terminal.")

    @OptionGroup var sandbox: SandboxOptions

    func run() async throws {
        let backend = try await DockerSandboxBackend.fromEnvironment()
        let spec = try sandbox.spec()
        let exitCode = try await CleanupOnSignal.run { registry in
            let instance = try await backend.createSandbox(spec)
            registry.register(instance)
            defer { registry.unregister(instance) }
            do {
                let code = try await Self.attach(to: instance)
                try await instance.destroy()
                return code
            } catch {
                try? await instance.destroy()
                throw error
            }
        }
        throw ExitCode(exitCode)
    }

    static func attach(to sandbox: DockerSandbox) async throws -> Int32 {
        let size = TerminalMode.windowSize()
        let terminal = try await sandbox.openTerminal(
            TerminalRequest(
                environment: ["TERM": ProcessInfo.processInfo.environment["TERM"] ?? "xterm-256color"],
                size: TerminalSize(rows: size.rows, columns: size.columns)))
        var mode = TerminalMode()
        if TerminalMode.isInteractive { try mode.enterRaw() }
        defer { mode.restore() }

        // Keystrokes go to the sandbox as they are typed; SIGWINCH becomes a resize.
        let input = Task.detached {
            for await bytes in StandardInput.chunks() {
                try? await terminal.write(bytes)
            }
        }
        let resizes = Task {
            for await _ in SignalStream.make([SIGWINCH]) {
                let size = TerminalMode.windowSize()
                try? await terminal.resize(TerminalSize(rows: size.rows, columns: size.columns))
            }
        }
        defer {
            input.cancel()
            resizes.cancel()
        }
        for try await event in terminal.events {
            switch event {
            case .output(_, let bytes): Console.write(bytes)
            case .finished(let result): return result.exitCode
            case .started: break
            }
        }
        return 1
    }
}

/// The local terminal's input, read on its own thread so no blocking read sits on the cooperative pool.
enum StandardInput {
    static func chunks() -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    if count <= 0 { break }
                    continuation.yield(Array(buffer[0..<count]))
                }
                continuation.finish()
            }
            thread.start()
        }
    }
}
