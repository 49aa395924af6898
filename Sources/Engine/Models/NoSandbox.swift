import Sandbox

/// The sandbox of a step that has none (`type: llm`): its agent loop has no tools, so nothing
/// calls it; if something did, it would be told plainly.
struct NoSandbox: SandboxInstance {
    var id: String { "none" }

    private func refuse() -> SandboxError {
        SandboxError(.unsupported, "an llm step has no sandbox; use an agent (`prompt:`) step for tools")
    }

    func run(_ command: SandboxCommand) async throws -> SandboxProcess { throw refuse() }
    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw refuse() }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] { throw refuse() }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw refuse() }
    func stat(path: String) async throws -> FileInfo { throw refuse() }
    func list(path: String) async throws -> [FileInfo] { throw refuse() }
    func makeDirectory(path: String, parents: Bool) async throws { throw refuse() }
    func remove(path: String, recursive: Bool) async throws { throw refuse() }
    func move(from: String, to: String, overwrite: Bool) async throws { throw refuse() }
    func destroy() async throws {}
}
