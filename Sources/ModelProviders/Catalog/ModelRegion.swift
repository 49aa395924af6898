import Foundation

/// Where a model processes the data sent to it, as the models file says (`region:` on a model
/// or a provider) or, when it does not, by the provider's known home.
public enum ModelRegion {
    public static let eu = "eu"
    public static let us = "us"
    public static let local = "local"

    /// Whether `name` can be a region: lowercase ASCII letters, digits and `-`, 1 to 40 of them.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 40
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// A built-in provider's region: Ollama runs on the user's machine; Anthropic, OpenAI and
    /// OpenRouter process in the US unless the models file says otherwise.
    public static func `default`(for provider: BuiltInProvider) -> String {
        provider.isLocal ? local : us
    }

    /// A custom provider's region from its base URL: a loopback host is `local` (the data never
    /// leaves the machine), Mistral's API is `eu`; anything else is unknown until the file says.
    public static func `default`(forCustomProviderAt baseURL: String) -> String? {
        guard let host = URLComponents(string: baseURL)?.host?.lowercased() else { return nil }
        if isLoopback(host) { return local }
        if host == "mistral.ai" || host.hasSuffix(".mistral.ai") { return eu }
        return nil
    }

    /// `localhost`, 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if bare == "localhost" || bare.hasSuffix(".localhost") || bare == "::1" { return true }
        let octets = bare.split(separator: ".")
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// The server's `DATA_RESIDENCY`: which regions' models may be called. Unset: any.
public enum DataResidency: String, CaseIterable, Sendable, Codable {
    /// EU regions (`eu`, `eu-…`) and the user's own machine.
    case eu
    /// The user's own machine only.
    case local

    /// Whether a model in `region` may be called (an unknown region never may).
    public func allows(_ region: String?) -> Bool {
        guard let region else { return false }
        switch self {
        case .eu: return region == ModelRegion.eu || region.hasPrefix("eu-") || region == ModelRegion.local
        case .local: return region == ModelRegion.local
        }
    }

    /// The regions allowed, for messages.
    public var allowedDescription: String {
        switch self {
        case .eu: "eu or local"
        case .local: "local"
        }
    }
}
