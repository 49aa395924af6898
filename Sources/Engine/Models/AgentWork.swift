import Agent
import Foundation
import JSONSchema
import ModelProviders
import Sandbox
import Store
import Workflow

/// An agent (`prompt:`) step's work: the agent loop on the host, its tools in the step's sandbox,
/// every model turn, tool call and tool answer recorded as the run's events.
struct AgentWork: SandboxWork {
    var prompt: String
    var plan: ModelCallPlan
    /// Tool names the step allows (`tools:`); nil offers the default set.
    var tools: [String]?
    var subagents: [Agent.SubagentDefinition]
    /// Whether the step's profile has network, which `WebFetch` needs.
    var networked: Bool
    var environment: [String: String]
    /// The step's `mcp_servers`, as written.
    var mcpServers: [Workflow.MCPServerDefinition] = []
    /// What `${VAR}` in `mcp_servers` reads: the host's environment as the engine was given it.
    var hostEnvironment: [String: String] = [:]

    /// The servers are started per attempt once the sandbox exists (stdio ones run in it) and
    /// stopped when the agent is done, whatever the outcome.
    func perform(in sandbox: any SandboxInstance, attempt: AttemptPlace, job: StepJob) async throws -> StepJob.ItemResult {
        let servers: MCPServers
        do {
            let configurations = try mcpServers.map { try MCPServerConfiguration.parse(name: $0.name, $0.value, environment: hostEnvironment) }
            servers = try await MCPServers.start(configurations, sandbox: sandbox)
        } catch {
            return StepJob.ItemResult(status: Task.isCancelled ? .cancelled : .failed, output: .null, error: "\(error)")
        }
        let toolSet: ToolSet
        do {
            toolSet = try ToolSet.standard(network: networked, subagents: subagents, mcp: servers.tools, only: tools)
        } catch {
            await servers.stop()
            return StepJob.ItemResult(status: .failed, output: .null, error: "\(error)")
        }
        let result = await plan.run(
            prompt: prompt, tools: toolSet, sandbox: sandbox,
            toolEnvironment: attempt.inSession ? environment : [:], attempt: attempt, job: job)
        await servers.stop()
        return result
    }
}

/// An `llm` step's work: one model call (and its repairs when the answer must follow a schema),
/// no tools, no sandbox.
struct LLMWork: ModelOnlyWork {
    var prompt: String
    var plan: ModelCallPlan

    func perform(attempt: AttemptPlace, job: StepJob) async -> StepJob.ItemResult {
        await plan.run(prompt: prompt, tools: .empty, sandbox: NoSandbox(), toolEnvironment: [:], attempt: attempt, job: job)
    }
}

/// What agent and `llm` steps share: the model and its settings, the answer's schema, and the
/// turning of an agent's result into a step result.
struct ModelCallPlan: Sendable {
    var model: String
    var systemPrompt: String?
    var maxTurns: Int
    var maxTokens: Int
    var temperature: Double?
    /// The JSON Schema the answer must follow; nil keeps Sandcastle's rule (JSON when it is an
    /// object or a list, else the text).
    var outputSchema: JSONValue?

    func run(
        prompt: String, tools: ToolSet, sandbox: any SandboxInstance, toolEnvironment: [String: String], attempt: AttemptPlace,
        job: StepJob
    ) async -> StepJob.ItemResult {
        guard let models = job.configuration.models else {
            return StepJob.ItemResult(status: .failed, output: .null, error: "no model provider is set up for this run")
        }
        let parser: StepOutputParser
        let finalAnswer: FinalAnswerRequirement?
        do {
            (parser, finalAnswer) = try outputRules()
        } catch {
            return StepJob.ItemResult(status: .failed, output: .null, error: "output_schema: \(error)")
        }
        let place = RunEvent.AgentPlace(step: job.step.id, index: attempt.index, attempt: attempt.number)
        let ledger = AttemptLedger(runID: job.runID, place: place, repository: job.repository, budget: job.budget, onEvent: job.onEvent)
        let configuration = AgentConfiguration(
            model: model, systemPrompt: systemPrompt, maxTurns: maxTurns, maxTokens: maxTokens, temperature: temperature,
            timeout: job.settings.timeout, toolEnvironment: toolEnvironment, finalAnswer: finalAnswer)
        // Every call of the step leaves through this provider: the privacy router's `prompts` target applies here.
        let provider = MeteredProvider(models: models, ledger: ledger, redactor: job.privacy.detector(for: .prompts))
        let loop = AgentLoop(
            provider: provider, configuration: configuration, tools: tools, sandbox: sandbox,
            events: AgentEventSink { AgentTranscript.record($0, ledger: ledger) })
        let result = await loop.run(prompt: prompt)
        return stepResult(of: result, parser: parser, ledger: ledger)
    }

    /// How the answer becomes the step's output: with a schema, through a final tool whose
    /// input is validated (errors go back to the model for repairs); the parser unwraps
    /// `{"output": …}` when the tool asked for it.
    private func outputRules() throws -> (StepOutputParser, FinalAnswerRequirement?) {
        guard let schema = outputSchema else { return (StepOutputParser(), nil) }
        return (try StepOutputParser(schema: schema, requiresContent: true), try StructuredAnswer(schema: schema).requirement)
    }

    private func stepResult(of result: AgentResult, parser: StepOutputParser, ledger: AttemptLedger) -> StepJob.ItemResult {
        let tail = String(result.text.suffix(2048))
        switch result.outcome {
        case .success:
            do {
                let answer: StepOutputParser.Answer = result.structuredOutput.map { .structured($0) } ?? .text(result.text)
                return StepJob.ItemResult(status: .completed, output: try parser.parse(answer), outputTail: tail)
            } catch {
                return StepJob.ItemResult(status: .failed, output: .null, error: error.description, outputTail: tail)
            }
        case .cancelled:
            return StepJob.ItemResult(status: .cancelled, output: .null, error: "cancelled", outputTail: tail)
        case .providerFailed(let error) where error.code == AttemptLedger.budgetExceeded:
            return StepJob.ItemResult(status: .failed, output: .null, error: error.message, outputTail: tail)
        case .maxTurns:
            return StepJob.ItemResult(
                status: .failed, output: .null, error: "the agent reached max_turns (\(maxTurns)) without an answer", outputTail: tail)
        case .timedOut, .providerFailed, .failed, .structuredOutputInvalid:
            return StepJob.ItemResult(status: .failed, output: .null, error: result.outcome.summary, outputTail: tail)
        }
    }
}

/// Agent events as run events and live lines.
enum AgentTranscript {
    /// The most of a tool's input kept in its event.
    static let inputCap = 4096

    static func record(_ event: AgentEvent, ledger: AttemptLedger, parent: String? = nil) {
        var place = ledger.place
        place.parentToolCall = parent
        switch event {
        case .subagent(let parentID, _, let inner):
            record(inner, ledger: ledger, parent: parentID)
        case .toolCallStarted(let call):
            let text = call.input.jsonText
            let input: JSONValue = text.utf8.count <= inputCap ? call.input : .string(String(text.prefix(inputCap)) + "…")
            ledger.append(.toolCalled(RunEvent.ToolCalled(place: place, id: call.id, name: call.name, input: input)))
            ledger.showText("\n→ \(call.name) \(summary(of: call.input))\n")
        case .toolCallFinished(let finish):
            ledger.append(
                .toolAnswered(
                    RunEvent.ToolAnswered(
                        place: place, id: finish.id, name: finish.name, isError: finish.isError, output: finish.output,
                        outputCharacters: finish.outputBytes, durationMs: WorkflowEngine.milliseconds(finish.duration))))
        default:
            break
        }
    }

    /// The part of a tool's input a person recognises it by (the command, the path).
    static func summary(of input: JSONValue) -> String {
        for key in ["command", "file_path", "pattern", "url", "description", "prompt"] {
            if case .string(let value)? = input.child(key) {
                let line = value.split(separator: "\n").first.map(String.init) ?? ""
                return line.count > 120 ? String(line.prefix(120)) + "…" : line
            }
        }
        return ""
    }
}

extension AttemptLedger {
    /// Appends an event of this attempt; a store that refuses it does not stop the agent (the
    /// turn records, which cost is counted from, are written with their own error handling).
    func append(_ event: RunEvent) {
        _ = try? repository.append(event, runID: runID)
    }
}
