import Crypto
import Foundation
import JSONValues
import Synchronization

/// A model's answers kept in a file, so a run can be replayed without any provider
/// (`sandcastle run --record FILE`, then `--replay FILE`): the tools still run for real in
/// real sandboxes, only the model's side comes from the file.
///
/// An answer is found by its conversation and turn: the conversation is named by a hash of the
/// system prompt and the first user message (what a step's rendered prompt makes unique), the
/// turn by how many assistant messages came before. Concurrent steps and fan-out items
/// therefore replay independently, whatever order they run in.
public struct ConversationRecording: Sendable {
    /// One recorded answer.
    public struct Entry: Codable, Sendable, Equatable {
        public var conversation: String
        public var turn: Int
        /// The model name asked for (an alias or catalog name), for people reading the file.
        public var model: String
        public var response: RecordedResponse
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The conversation and turn a request belongs to.
    public static func key(of request: ModelRequest) -> (conversation: String, turn: Int) {
        var hasher = SHA256()
        hasher.update(data: Data((request.system ?? "").utf8))
        hasher.update(data: [0])
        hasher.update(data: Data((request.messages.first?.text ?? "").utf8))
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return (String(digest.prefix(24)), request.messages.count { $0.role == .assistant } + 1)
    }

    /// Reads a recording: one JSON object per line.
    public static func load(path: String) throws -> ConversationRecording {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelProviderError(.notConfigured, provider: "replay", message: "cannot read the recording \(path)")
        }
        var entries: [Entry] = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(\.isWhitespace) {
            do {
                entries.append(try JSONDecoder().decode(Entry.self, from: Data(line.utf8)))
            } catch {
                throw ModelProviderError(
                    .malformedResponse, provider: "replay", message: "\(path):\(number + 1) is not a recorded answer: \(error)")
            }
        }
        return ConversationRecording(entries: entries)
    }
}

/// Serves a recording's answers as if a provider gave them.
public final class ReplayProvider: ModelProvider {
    public let name = "replay"
    private let answers: [String: [Int: ModelResponse]]

    public init(_ recording: ConversationRecording) {
        var answers: [String: [Int: ModelResponse]] = [:]
        for entry in recording.entries { answers[entry.conversation, default: [:]][entry.turn] = entry.response.response }
        self.answers = answers
    }

    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let (conversation, turn) = ConversationRecording.key(of: request)
        guard let response = answers[conversation]?[turn] else {
            let known = answers[conversation].map { "it has turns \($0.keys.sorted().map(String.init).joined(separator: ", "))" }
            throw ModelProviderError(
                .notConfigured, provider: name,
                message: "the recording has no answer for turn \(turn) of this conversation ("
                    + (known ?? "the prompt or system prompt differs from the recorded run's") + ")")
        }
        return response
    }

    public func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let response = try await complete(request)
        return AsyncThrowingStream { continuation in
            if !response.message.text.isEmpty { continuation.yield(.textDelta(response.message.text)) }
            continuation.yield(.finished(response))
            continuation.finish()
        }
    }
}

/// The file a run's answers are recorded to, shared by every provider that records into it.
public final class ConversationRecorder: Sendable {
    private let file: Mutex<FileHandle>

    /// Creates (or truncates) the recording at `path`.
    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ModelProviderError(.notConfigured, provider: "recording", message: "cannot write the recording \(path)")
        }
        file = Mutex(handle)
    }

    /// Appends one answer, as one line (lines from concurrent steps never interleave).
    public func record(_ request: ModelRequest, _ response: ModelResponse) {
        let (conversation, turn) = ConversationRecording.key(of: request)
        let entry = ConversationRecording.Entry(
            conversation: conversation, turn: turn, model: request.model, response: RecordedResponse(response))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(entry) else { return }
        line.append(0x0A)
        file.withLock { $0.write(line) }
    }
}

/// Passes calls through to a provider and records every answer.
public final class RecordingProvider: ModelProvider {
    public var name: String { base.name }
    private let base: any ModelProvider
    private let recorder: ConversationRecorder

    public init(_ base: any ModelProvider, recorder: ConversationRecorder) {
        self.base = base
        self.recorder = recorder
    }

    public func complete(_ request: ModelRequest) async throws -> ModelResponse {
        let response = try await base.complete(request)
        recorder.record(request, response)
        return response
    }

    public func stream(_ request: ModelRequest) async throws -> AsyncThrowingStream<ModelStreamEvent, any Error> {
        let upstream = try await base.stream(request)
        let recorder = self.recorder
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await event in upstream {
                        if case .finished(let response) = event { recorder.record(request, response) }
                        continuation.yield(event)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// A ``ModelResponse`` in the recording's JSON form.
public struct RecordedResponse: Codable, Sendable, Equatable {
    public var response: ModelResponse

    public init(_ response: ModelResponse) { self.response = response }

    private enum Keys: String, CodingKey {
        case id, model, stopReason = "stop_reason", content, usage
    }

    private enum BlockKeys: String, CodingKey {
        case type, text, id, name, input, signature
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        var blocks: [ContentBlock] = []
        var list = try container.nestedUnkeyedContainer(forKey: .content)
        while !list.isAtEnd {
            let block = try list.nestedContainer(keyedBy: BlockKeys.self)
            switch try block.decode(String.self, forKey: .type) {
            case "text": blocks.append(.text(try block.decode(String.self, forKey: .text)))
            case "tool_use":
                blocks.append(
                    .toolCall(
                        ToolCall(
                            id: try block.decode(String.self, forKey: .id), name: try block.decode(String.self, forKey: .name),
                            input: try block.decode(JSONValue.self, forKey: .input))))
            case "thinking":
                blocks.append(
                    .thinking(text: try block.decode(String.self, forKey: .text), signature: try block.decode(String.self, forKey: .signature)))
            case let other:
                throw DecodingError.dataCorruptedError(forKey: .type, in: block, debugDescription: "unknown block type \(other)")
            }
        }
        response = ModelResponse(
            id: try container.decode(String.self, forKey: .id), model: try container.decode(String.self, forKey: .model),
            message: ModelMessage(role: .assistant, content: blocks),
            stopReason: StopReason(rawValue: try container.decode(String.self, forKey: .stopReason)),
            usage: try container.decodeIfPresent(TokenUsage.self, forKey: .usage))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(response.id, forKey: .id)
        try container.encode(response.model, forKey: .model)
        try container.encode(response.stopReason.rawValue, forKey: .stopReason)
        try container.encodeIfPresent(response.usage, forKey: .usage)
        var list = container.nestedUnkeyedContainer(forKey: .content)
        // An assistant turn never holds tool results: there is nothing of them to keep.
        for block in response.message.content {
            if case .toolResult = block { continue }
            var item = list.nestedContainer(keyedBy: BlockKeys.self)
            switch block {
            case .text(let text):
                try item.encode("text", forKey: .type)
                try item.encode(text, forKey: .text)
            case .toolCall(let call):
                try item.encode("tool_use", forKey: .type)
                try item.encode(call.id, forKey: .id)
                try item.encode(call.name, forKey: .name)
                try item.encode(call.input, forKey: .input)
            case .thinking(let text, let signature):
                try item.encode("thinking", forKey: .type)
                try item.encode(text, forKey: .text)
                try item.encode(signature, forKey: .signature)
            case .toolResult: break
            }
        }
    }
}
