import Engine
import Foundation
import Sandbox
import Store
import Synchronization
import Workflow

/// Measures what the engine itself costs per step: scheduling, template rendering and every
/// store write, with sandboxes that do nothing (``NoopSandboxBackend``). `sandcastle bench engine`
/// runs it on a SQLite file; the tests run a smaller one.
public enum EngineBenchmark {
    /// What one measurement found.
    public struct Result: Sendable {
        public var steps: Int
        public var wall: Duration
        public var status: RunStatus
        /// Sandboxes the no-op backend created (one per step when all went well).
        public var sandboxes: Int

        /// Wall time per step, in milliseconds: the engine's overhead, since the steps take no time.
        public var overheadMillisecondsPerStep: Double {
            Double(wall.components.seconds) * 1000 / Double(max(1, steps))
                + Double(wall.components.attoseconds) / 1e15 / Double(max(1, steps))
        }
    }

    /// A DAG of `steps` run steps mixing long chains and wide fan-outs, built in memory (the YAML
    /// parser caps files at ``WorkflowParser/maximumSteps``; the engine has no such limit).
    ///
    /// It is cut into segments of `segment` steps: a head (after the previous segment's tail), a
    /// fan-out of `segment / 2` steps on the head, a join on all of them, then a chain to the
    /// segment's tail. Every step renders a template reading its first dependency's output, so
    /// rendering and the environment are part of the cost.
    public static func workflow(steps: Int, segment: Int = 500) -> WorkflowDefinition {
        let segment = max(4, segment)
        let location = SourceLocation(file: "<bench>", line: 1, column: 1)
        var definitions: [StepDefinition] = []
        definitions.reserveCapacity(steps)
        var previousTail: String?
        var index = 0
        func add(_ dependencies: [String]) -> String {
            let id = "s\(index)"
            index += 1
            let command: Template
            if let first = dependencies.first {
                command = Template.parse("echo {steps.\(first).output}", location: location).template
            } else {
                command = Template(literal: "echo start", location: location)
            }
            definitions.append(
                StepDefinition(
                    id: id, kind: .run, configuration: RunStepConfiguration(command: command),
                    dependsOn: dependencies.map { Located($0, at: location) }, location: location))
            return id
        }
        while index < steps {
            let remaining = steps - index
            let size = min(segment, remaining)
            let head = add(previousTail.map { [$0] } ?? [])
            guard size > 1 else {
                previousTail = head
                break
            }
            let width = max(1, min(size / 2, size - 2))
            var fan: [String] = []
            for _ in 0..<width where index < steps { fan.append(add([head])) }
            var tail = fan.last ?? head
            if index < steps { tail = add(fan) }
            while index < steps && index - (steps - remaining) < size { tail = add([tail]) }
            previousTail = tail
        }
        return WorkflowDefinition(name: "bench-\(steps)", file: "<bench>", steps: definitions)
    }

    /// Runs `workflow` on a ``NoopSandboxBackend`` with `repository`, and times it.
    public static func measure(
        _ workflow: WorkflowDefinition, repository: any RunRepository,
        concurrency: Int = 64
    ) async throws -> Result {
        let backend = NoopSandboxBackend()
        let engine = WorkflowEngine(
            backend: backend, repository: repository,
            configuration: EngineConfiguration(maxConcurrentStepsPerRun: concurrency),
            globalLimit: AsyncSemaphore(limit: concurrency))
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await engine.run(workflow)
        return Result(
            steps: workflow.steps.count, wall: clock.now - start, status: outcome.status,
            sandboxes: backend.created)
    }
}

/// A sandbox backend whose sandboxes answer every command at once with exit 0 and `ok` on
/// stdout, without any process: what is left of a step's time is the engine's.
public final class NoopSandboxBackend: SandboxBackend {
    public let name = "noop"
    private let counter = Mutex(0)

    public init() {}

    /// How many sandboxes were created.
    public var created: Int { counter.withLock { $0 } }

    public func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        let number = counter.withLock { count -> Int in
            count += 1
            return count
        }
        return NoopSandbox(id: "noop-\(number)")
    }
}

struct NoopSandbox: SandboxInstance {
    let id: String

    func run(_ command: SandboxCommand) async throws -> SandboxProcess {
        let (stream, continuation) = AsyncThrowingStream<ProcessEvent, any Error>.makeStream()
        continuation.yield(.started(pid: 1))
        continuation.yield(.output(.stdout, Array("ok\n".utf8)))
        continuation.yield(.finished(ProcessResult(exitCode: 0)))
        continuation.finish()
        return SandboxProcess(events: ProcessEvents(stream), control: InertProcessControl())
    }

    func openTerminal(_ request: TerminalRequest) async throws -> SandboxProcess { throw unsupported("terminals") }
    func writeFile<Chunks: AsyncSequence & Sendable>(_ request: FileWrite, contents: Chunks) async throws -> FileInfo
    where Chunks.Element == [UInt8] { throw unsupported("files") }
    func readFile(_ request: FileRead) async throws -> FileDownload { throw unsupported("files") }
    func stat(path: String) async throws -> FileInfo { throw unsupported("files") }
    func list(path: String) async throws -> [FileInfo] { throw unsupported("files") }
    func makeDirectory(path: String, parents: Bool) async throws { throw unsupported("files") }
    func remove(path: String, recursive: Bool) async throws { throw unsupported("files") }
    func move(from: String, to: String, overwrite: Bool) async throws { throw unsupported("files") }
    func destroy() async throws {}

    private func unsupported(_ what: String) -> SandboxError {
        SandboxError(.invalidArgument, "the no-op benchmark sandbox has no \(what)")
    }
}
