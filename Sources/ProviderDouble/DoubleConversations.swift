import Foundation
import JSONValues
import Synchronization

/// Which of the two protocols a request spoke.
public enum DoubleAPI: String, Sendable, Hashable, Codable {
    case anthropic
    case openAIChat = "openai"
}

/// One request as the double received it, for tests to assert what a client sent.
public struct RecordedRequest: Sendable, Hashable {
    public var api: DoubleAPI
    public var path: String
    /// Every header but the credentials (`x-api-key`, `authorization`, `api-key`,
    /// `proxy-authorization`), names lower-cased, in arrival order.
    public var headers: [Header]
    /// How the request authenticated: `x-api-key`, `bearer`, or nil for neither.
    public var credentialScheme: String?
    /// The body as sent (to check that no key appears in it).
    public var bodyText: String
    /// The body parsed, when it is JSON.
    public var body: JSONValue?

    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// The first value of a header (name compared case-insensitively).
    public func header(_ name: String) -> String? {
        let key = name.lowercased()
        return headers.first { $0.name == key }?.value
    }

    /// The request as JSON, for the `/_double/requests` route.
    var json: JSONValue {
        [
            "api": .string(api.rawValue), "path": .string(path),
            "headers": .array(headers.map { [.string($0.name), .string($0.value)] }),
            "credential_scheme": credentialScheme.map(JSONValue.string) ?? .null,
            "body_text": .string(bodyText), "body": body ?? .null,
        ]
    }
}

/// Scripts and recordings per conversation, shared by every connection.
///
/// The conversation of a request is its `x-double-conversation` header when present, else its
/// credential (`x-api-key`, else the `Authorization: Bearer` token), else the empty key. Tests
/// give each conversation its own key, so concurrent tests never take each other's turns.
final class DoubleConversations: Sendable {
    static let conversationHeader = "x-double-conversation"
    /// Requests kept per conversation: a benchmark's thousands of calls must not grow memory
    /// without bound; tests look at a handful.
    static let recordedPerConversation = 1000

    private struct State {
        var defaultScript: ProviderScript?
        var scripts: [String: ProviderScript] = [:]
        var positions: [String: Int] = [:]
        var requests: [String: [RecordedRequest]] = [:]
        var served = 0
    }

    /// What the next request of a conversation gets.
    enum Next {
        case turn(ScriptedTurn, sequence: Int)
        /// No script names this conversation and there is no default.
        case unscripted
        /// The script has no turn left (and does not repeat).
        case exhausted(played: Int)
    }

    private let state: Mutex<State>

    init(_ file: ProviderScriptFile) {
        state = Mutex(State(defaultScript: file.defaultScript, scripts: file.conversations))
    }

    func setScript(_ script: ProviderScript?, for key: String) {
        state.withLock {
            $0.scripts[key] = script
            $0.positions[key] = nil
        }
    }

    func setDefaultScript(_ script: ProviderScript?) {
        state.withLock { $0.defaultScript = script }
    }

    /// Records a request that takes no turn (one the real API would refuse before any model runs).
    func record(_ request: RecordedRequest, for key: String) {
        state.withLock { Self.append(request, for: key, to: &$0) }
    }

    private static func append(_ request: RecordedRequest, for key: String, to state: inout State) {
        state.requests[key, default: []].append(request)
        if let count = state.requests[key]?.count, count > recordedPerConversation {
            state.requests[key]?.removeFirst(count - recordedPerConversation)
        }
    }

    /// Records the request and takes the conversation's next turn.
    func next(for key: String, recording request: RecordedRequest) -> Next {
        state.withLock { state in
            Self.append(request, for: key, to: &state)
            state.served += 1
            guard let script = state.scripts[key] ?? state.defaultScript else { return .unscripted }
            let position = state.positions[key, default: 0]
            if position >= script.turns.count && !(script.repeats && !script.turns.isEmpty) {
                return .exhausted(played: position)
            }
            state.positions[key] = position + 1
            return .turn(script.turns[position % script.turns.count], sequence: state.served)
        }
    }

    func requests(for key: String) -> [RecordedRequest] {
        state.withLock { $0.requests[key] ?? [] }
    }

    /// A number unique to this double, for ids.
    func sequence() -> Int {
        state.withLock {
            $0.served += 1
            return $0.served
        }
    }
}
