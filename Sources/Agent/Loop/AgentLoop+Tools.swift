import JSONValues
import ModelProviders
import Sandbox

/// Answers decided before any tool runs, and whether the turn ends the run.
struct TurnVerdict {
    /// Results for calls that will not run, by their index in the turn.
    var preset: [Int: ToolResult] = [:]
    var ending: AgentOutcome?

    mutating func answerAll(_ calls: [ToolCall], with message: String) {
        for (index, call) in calls.enumerated() where preset[index] == nil {
            preset[index] = ToolResult(toolCallID: call.id, content: message, isError: true)
        }
    }
}

extension AgentLoop {
    /// The structured-output seam: judges the turn's final-answer call, if any.
    func judgeFinalAnswer(
        _ calls: [ToolCall], _ finalAnswer: FinalAnswerRequirement, repairsLeft: inout Int, response: ModelResponse, record: AgentRunRecord,
        verdict: inout TurnVerdict
    ) {
        let name = finalAnswer.tool.name
        let indices = calls.indices.filter { calls[$0].name == name }
        guard let first = indices.first else { return }
        for extra in indices.dropFirst() {
            verdict.preset[extra] = ToolResult(
                toolCallID: calls[extra].id, content: "Only the first \(name) call of a turn counts; this one was ignored.", isError: true)
        }
        let call = calls[first]
        let errors: [String]
        if case .object = call.input {
            errors = finalAnswer.validate(call.input)
        } else {
            errors = ["the answer must be a JSON object, got \(call.input.typeName)"]
        }
        if errors.isEmpty {
            let text = response.message.text
            record.finish(text: text.isEmpty ? call.input.jsonText : text, structuredOutput: call.input)
            verdict.preset[first] = ToolResult(toolCallID: call.id, content: "Final answer accepted.")
            verdict.answerAll(calls, with: "Not run: the final answer ended the run.")
            verdict.ending = .success
        } else if repairsLeft == 0 {
            verdict.preset[first] = ToolResult(toolCallID: call.id, content: Self.rejection(errors, tool: name, again: false), isError: true)
            verdict.answerAll(calls, with: "Not run: the run ended because the final answer stayed invalid.")
            verdict.ending = .structuredOutputInvalid(errors)
        } else {
            repairsLeft -= 1
            verdict.preset[first] = ToolResult(toolCallID: call.id, content: Self.rejection(errors, tool: name, again: true), isError: true)
        }
    }

    static func rejection(_ errors: [String], tool: String, again: Bool) -> String {
        "The answer does not match the required format:\n" + errors.map { "- " + $0 }.joined(separator: "\n")
            + (again ? "\nCall \(tool) again with a corrected answer." : "")
    }

    /// Runs the turn's calls concurrently (those without a preset answer) and returns every
    /// call's result in call order, plus what ends the run when the tools were interrupted.
    func runTools(
        _ calls: [ToolCall], preset: [Int: ToolResult], turn: Int, session: AgentSession?, record: AgentRunRecord
    ) async -> ([ToolResult], AgentOutcome?) {
        var results: [ToolResult?] = Array(repeating: nil, count: calls.count)
        var fatal: AgentError?
        await withTaskGroup(of: (Int, ToolResult, AgentError?).self) { group in
            for (index, call) in calls.enumerated() {
                events.emit(.toolCallStarted(AgentEvent.ToolCallStart(turn: turn, id: call.id, name: call.name, input: call.input)))
                if let answer = preset[index] {
                    results[index] = answer
                    finished(call, answer, turn: turn, duration: .zero, ran: false)
                    continue
                }
                group.addTask { await execute(call, turn: turn, session: session, record: record).with(index) }
            }
            for await (index, result, error) in group {
                results[index] = result
                if let error, fatal == nil { fatal = error }
            }
        }
        let ordered = zip(calls, results).map { call, result in
            result ?? ToolResult(toolCallID: call.id, content: "The tool call was not run.", isError: true)
        }
        if Task.isCancelled { return (ordered, .cancelled(during: .tools)) }
        if let fatal { return (ordered, .failed(fatal)) }
        return (ordered, nil)
    }

    /// One call: look the tool up, check its input, run it, cap its output.
    private func execute(_ call: ToolCall, turn: Int, session: AgentSession?, record: AgentRunRecord) async -> Execution {
        let start = ContinuousClock.now
        func done(_ output: ToolOutput, ran: Bool, fatal: AgentError? = nil) -> Execution {
            let content = OutputCap.limit(output.content, maxCharacters: configuration.limits.maxResultCharacters)
            let result = ToolResult(toolCallID: call.id, content: content, isError: output.isError)
            finished(call, result, turn: turn, duration: ContinuousClock.now - start, ran: ran)
            return Execution(result: result, fatal: fatal)
        }
        guard let tool = tools.tool(named: call.name) else {
            let available = tools.names + (configuration.finalAnswer.map { [$0.tool.name] } ?? [])
            return done(.error("No such tool: \(call.name). Available tools: \(ToolSet.listing(available))."), ran: false)
        }
        let problems = ToolInputCheck.problems(call.input, schema: tool.definition.inputSchema)
        if !problems.isEmpty {
            return done(.error("Invalid input for \(tool.name): " + problems.joined(separator: "; ") + "."), ran: false)
        }
        var context = ToolContext(
            sandbox: sandbox, workingDirectory: configuration.workingDirectory, environment: configuration.toolEnvironment,
            limits: configuration.limits, toolCallID: call.id, bashDirectory: record.bashDirectory)
        context.session = session
        do {
            let input = try ToolInput(call.input)
            return done(try await tool.run(input, context: context), ran: true)
        } catch let failure as ToolFailure {
            return done(.error(failure.message), ran: true)
        } catch let error as AgentError where error.code == .sandboxGone {
            return done(.error("The sandbox is gone: \(error.message)"), ran: true, fatal: error)
        } catch let error as SandboxError where error.code == .sandboxGone {
            return done(.error("The sandbox is gone: \(error.message)"), ran: true, fatal: AgentError(.sandboxGone, error.message))
        } catch {
            if Task.isCancelled || error is CancellationError || (error as? SandboxError)?.code == .cancelled {
                return done(.error("The tool call was cancelled."), ran: true)
            }
            return done(.error("\(tool.name) failed: \(error)"), ran: true)
        }
    }

    private func finished(_ call: ToolCall, _ result: ToolResult, turn: Int, duration: Duration, ran: Bool) {
        events.emit(
            .toolCallFinished(
                AgentEvent.ToolCallFinish(
                    turn: turn, id: call.id, name: call.name, isError: result.isError,
                    output: OutputCap.eventPreview(result.content, maxBytes: configuration.limits.eventOutputBytes),
                    outputBytes: result.content.utf8.count, duration: duration, ran: ran)))
    }
}

/// A call's result and, when it is one, the failure that ends the run.
struct Execution: Sendable {
    var result: ToolResult
    var fatal: AgentError?

    func with(_ index: Int) -> (Int, ToolResult, AgentError?) { (index, result, fatal) }
}
