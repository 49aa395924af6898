/// The providers Sandcastle knows without a models file, configured from the variables their
/// own SDKs read (see ``ProviderSettings``).
public enum BuiltInProvider: String, Sendable, Hashable, CaseIterable {
    case anthropic
    case openai
    case openrouter
    case ollama

    /// The provider's name in model names (`openai/gpt-4o`), endpoints and events.
    public var name: String { rawValue }

    public var wireProtocol: ProviderProtocol {
        switch self {
        case .anthropic: .anthropic
        case .openai, .openrouter, .ollama: .openAIChat
        }
    }

    /// Whether the provider runs on a machine of the user's: its tokens cost nothing, so a
    /// model of it without a price in the models file is priced at a real 0, not unknown.
    public var isLocal: Bool { self == .ollama }

    /// The names of every built-in provider, sorted, for messages.
    public static var names: [String] { allCases.map(\.name).sorted() }
}
