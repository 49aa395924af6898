import Foundation
import JSONValues
import ModelProviders
import Synchronization
import Testing

/// A provider that answers from a list, counting calls.
final class ScriptedProvider: ModelProvider {
    let name = "scripted"
    private let answers: Mutex<[ModelResponse]>

    init(_ answers: [ModelResponse]) { self.answers = Mutex(answers) }

    func complete(_ request: ModelRequest) async throws -> ModelResponse {
        try answers.withLock { answers in
            guard !answers.isEmpty else { throw ModelProviderError(.serverError, provider: name, message: "script exhausted") }
            return answers.removeFirst()
        }
    }

    func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let response = try await complete(request)
        return AsyncThrowingStream { continuation in
            continuation.yield(.textDelta(response.message.text))
            continuation.yield(.finished(response))
            continuation.finish()
        }
    }
}

@Suite struct ConversationRecordingTests {
    static func response(_ id: String, _ blocks: [ContentBlock], stop: StopReason) -> ModelResponse {
        ModelResponse(
            id: id, model: "claude-test", message: ModelMessage(role: .assistant, content: blocks), stopReason: stop,
            usage: TokenUsage(inputTokens: 10, outputTokens: 5, cacheReadTokens: 1))
    }

    @Test func aRecordedConversationReplaysTurnByTurnWithoutTheProvider() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recording-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let call = ToolCall(id: "toolu_1", name: "Bash", input: ["command": "ls -la", "timeout": 1000])
        let first = Self.response("m1", [.thinking(text: "look first", signature: "sig"), .toolCall(call)], stop: .toolUse)
        let second = Self.response("m2", [.text("two files")], stop: .endTurn)
        let recorder = RecordingProvider(ScriptedProvider([first, second]), recorder: try ConversationRecorder(path: path))

        var request = ModelRequest(model: "sonnet", system: "be brief", messages: [.user("what is here?")])
        var streamed: [ModelStreamEvent] = []
        for try await event in try await recorder.stream(request) { streamed.append(event) }
        #expect(streamed.last == .finished(first))
        request.messages.append(first.message)
        request.messages.append(ModelMessage(role: .user, content: [.toolResult(ToolResult(toolCallID: "toolu_1", content: "a b"))]))
        #expect(try await recorder.complete(request) == second)

        let replay = ReplayProvider(try ConversationRecording.load(path: path))
        #expect(try await replay.complete(request) == second, "turn 2 found by its conversation and turn")
        let firstAgain = try await replay.complete(ModelRequest(model: "other", system: "be brief", messages: [.user("what is here?")]))
        #expect(firstAgain == first, "tool calls, thinking and usage survive the file")

        // Another prompt is another conversation: a clear error, not someone else's answer.
        let error = await #expect(throws: ModelProviderError.self) {
            _ = try await replay.complete(ModelRequest(model: "sonnet", system: "be brief", messages: [.user("something else")]))
        }
        #expect(error?.message.contains("differs from the recorded run's") == true)
    }

    @Test func aDamagedRecordingNamesTheLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recording-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("\n{\"conversation\": \"x\"}\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ModelProviderError.self) { _ = try ConversationRecording.load(path: path) }
        #expect(error?.message.hasPrefix("\(path):2 is not a recorded answer") == true, "\(String(describing: error))")
    }
}
