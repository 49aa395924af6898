extension ModelProviderError.Code {
    /// The model name is in no models file and has no known provider prefix.
    public static let unknownModel = ModelProviderError.Code(rawValue: "unknown_model")
    /// The model's region is outside the server's `DATA_RESIDENCY`.
    public static let residencyRefused = ModelProviderError.Code(rawValue: "residency_refused")
}

extension ModelProviderError {
    /// Whether the failure says the provider itself is unwell, so its circuit breaker counts it.
    /// Rate limits and overload are the cooldown's business; a bad request or key is the caller's.
    var countsAgainstProvider: Bool {
        [.serverError, .transport, .streamInterrupted, .malformedResponse].contains(code)
    }

    /// Whether giving up on a model after this failure cools it down.
    var callsForCooldown: Bool { code == .rateLimited || code == .overloaded }

    /// A credential failure that names the variable to fix, whatever the client wrote.
    func namingCredential(of endpoint: ProviderEndpoint) -> ModelProviderError {
        guard code == .authentication || code == .permissionDenied, !message.contains(endpoint.credentialVariable) else {
            return self
        }
        var error = self
        error.message += " (check \(endpoint.credentialVariable))"
        return error
    }

    /// The error with every credential of `endpoint` blanked out, so that a client quoting a
    /// request back (a proxy echoing headers, a careless message) cannot carry a key into an
    /// event, a log line or the run store.
    func scrubbed(of endpoint: ProviderEndpoint) -> ModelProviderError {
        var secrets = [endpoint.apiKey, endpoint.authToken].compactMap { $0?.reveal() }
        // Custom headers often carry tokens too (`ANTHROPIC_CUSTOM_HEADERS`); short values are
        // left alone, as blanking `1` or `true` everywhere would garble the message.
        secrets += endpoint.extraHeaders.values.filter { $0.count >= 8 }
        var error = self
        for secret in secrets where !secret.isEmpty {
            error.message = error.message.replacing(secret, with: "[redacted]")
            error.providerErrorType = error.providerErrorType?.replacing(secret, with: "[redacted]")
        }
        return error
    }
}
