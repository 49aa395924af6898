import Resilience

/// A failure after the caller already has part of the answer (a stream's first delta): it ends
/// the call as it is, with no retry and no failover.
struct CommittedFailure: Error {
    var error: any Error
}

extension ModelRouter {
    /// One model of the chain, as the request asked for it or as a fallback.
    private struct Candidate {
        var model: ResolvedModel
        var endpoint: ProviderEndpoint?
    }

    /// The routing loop shared by complete and stream: `attempt` makes one call of one model
    /// (throwing ``CommittedFailure`` when it must not be retried); everything else (retries,
    /// waits, cooldowns, breakers, failover, events) is here.
    func route(
        _ request: ModelRequest, onEvent: RouterEventSink,
        attempt: (any ModelProvider, ModelRequest, ResolvedModel) async throws -> ModelResponse
    ) async throws -> RoutedResponse {
        let requested = try resolveRequested(request.model)
        try refuseOutsideResidency(requested)
        let candidates = await chain(from: requested, name: request.model, onEvent: onEvent)
        var lastFailure: ModelProviderError?
        var whyRequestedWasSkipped: ModelProviderError?
        var lastTried: String?
        var attempts = 0

        for (index, candidate) in candidates.enumerated() {
            try Task.checkCancellation()
            let model = candidate.model
            if let reason = unavailability(of: candidate) {
                await onEvent(.skipped(model: model.name, provider: model.provider, reason: reason))
                if index == 0 { whyRequestedWasSkipped = error(for: reason, model: model) }
                continue
            }
            guard let endpoint = candidate.endpoint else { continue }
            if let from = lastTried ?? (index > 0 ? requested.name : nil) {
                await onEvent(.failingOver(from: from, to: model.name, error: lastTried == nil ? nil : lastFailure))
            }
            lastTried = model.name
            let client: any ModelProvider
            do {
                client = try self.client(for: endpoint)
            } catch {
                throw ModelProviderError(
                    .notConfigured, provider: model.provider, message: "cannot make the \(model.provider) client: \(error)"
                ).scrubbed(of: endpoint)
            }
            var modelRequest = request
            modelRequest.model = model.modelID
            // A fallback may allow fewer output tokens than the model asked for; its own limit
            // beats a 400 from the provider.
            if let limit = model.maxOutputTokens, modelRequest.maxTokens > limit { modelRequest.maxTokens = limit }

            let breaker = health.breaker(for: model.provider)
            var modelFailure: ModelProviderError?
            for retry in 0..<max(1, policy.attemptsPerModel) {
                guard breaker.permit() else {
                    await onEvent(.skipped(model: model.name, provider: model.provider, reason: .circuitOpen))
                    break
                }
                attempts += 1
                let failure: ModelProviderError
                do {
                    let response = try await attempt(client, modelRequest, model)
                    breaker.recordSuccess()
                    return RoutedResponse(
                        response: response, model: model, requestedModel: request.model, attempts: attempts,
                        failedOver: model.name != requested.name)
                } catch {
                    let (providerError, committed) = try classify(error, breaker: breaker, endpoint: endpoint)
                    if committed || !providerError.isRetryable { throw providerError }
                    failure = providerError
                }
                lastFailure = failure
                modelFailure = failure
                guard retry + 1 < policy.attemptsPerModel, let wait = retryWait(after: failure, retry: retry + 1) else { break }
                await onEvent(.retrying(model: model.name, provider: model.provider, attempt: retry + 2, after: wait, error: failure))
                try await clock.sleep(wait)
            }
            if let modelFailure, modelFailure.callsForCooldown {
                let duration = cooldown(after: modelFailure)
                health.coolDown(model, for: duration)
                await onEvent(
                    .cooldown(provider: model.provider, model: health.coolsWholeProvider ? nil : model.name, duration: duration))
            }
        }
        throw lastFailure ?? whyRequestedWasSkipped
            ?? ModelProviderError(.notConfigured, provider: requested.provider, message: "no model could be called for \(request.model)")
    }

    private func resolveRequested(_ name: String) throws -> ResolvedModel {
        do {
            return try catalog.resolve(name)
        } catch let error as ModelCatalogError {
            throw ModelProviderError(.unknownModel, provider: self.name, message: error.description)
        }
    }

    /// The requested model, then its failover chain, resolved and without repeats.
    private func chain(from requested: ResolvedModel, name: String, onEvent: RouterEventSink) async -> [Candidate] {
        var candidates = [Candidate(model: requested, endpoint: settings.endpoint(for: requested.provider))]
        var seen: Set<String> = [requested.name]
        let fallbacks = policy.failoverChains.map { $0[name] ?? $0[requested.name] ?? [] } ?? catalog.failoverChain(for: name)
        for fallback in fallbacks {
            do {
                let model = try catalog.resolve(fallback)
                guard seen.insert(model.name).inserted else { continue }
                candidates.append(Candidate(model: model, endpoint: settings.endpoint(for: model.provider)))
            } catch {
                let message = (error as? ModelCatalogError)?.message ?? "\(error)"
                await onEvent(.skipped(model: fallback, provider: "unknown", reason: .unresolvable(message: message)))
            }
        }
        return candidates
    }

    /// The requested model itself outside `DATA_RESIDENCY` ends the call before any request:
    /// failing over would quietly answer with a model the step did not name.
    private func refuseOutsideResidency(_ model: ResolvedModel) throws {
        guard let residency = policy.residency, !residency.allows(model.region) else { return }
        throw ModelProviderError(
            .residencyRefused, provider: model.provider,
            message: "model \(model.name) (\(model.provider), region \(model.region ?? "unknown")) is not allowed under "
                + "DATA_RESIDENCY=\(residency.rawValue): only \(residency.allowedDescription) models may be called; "
                + "name one of those, or give the model a `region:` in the models file")
    }

    /// Why `candidate` cannot be called now, or nil when it can.
    private func unavailability(of candidate: Candidate) -> RouterEvent.SkipReason? {
        let provider = candidate.model.provider
        if let residency = policy.residency, !residency.allows(candidate.model.region) {
            return .outsideResidency(region: candidate.model.region, residency: residency)
        }
        guard let endpoint = candidate.endpoint else {
            return .notConfigured(variable: "a `providers: \(provider)` entry in the models file")
        }
        if !settings.isConfigured(provider) { return .notConfigured(variable: endpoint.credentialVariable) }
        if let remaining = health.cooldownRemaining(for: candidate.model) { return .coolingDown(remaining: remaining) }
        if !health.breaker(for: provider).isAvailable { return .circuitOpen }
        return nil
    }

    /// The error a call ends with when the model it asked for could not even be tried.
    private func error(for reason: RouterEvent.SkipReason, model: ResolvedModel) -> ModelProviderError {
        switch reason {
        case .notConfigured(let variable):
            ModelProviderError(
                .notConfigured, provider: model.provider, message: "not configured (model \(model.name)): set \(variable)")
        case .coolingDown(let remaining):
            ModelProviderError(
                .rateLimited, provider: model.provider, retryAfter: remaining,
                message: "\(model.name) is cooling down after rate limits or overload for another \(RouterEvent.seconds(remaining))")
        case .circuitOpen:
            ModelProviderError(
                .circuitOpen, provider: model.provider,
                message: "\(model.provider) failed \(policy.breaker.failureThreshold) times in a row and is not called for a while")
        case .unresolvable(let message):
            ModelProviderError(.unknownModel, provider: name, message: message)
        case .outsideResidency:
            ModelProviderError(.residencyRefused, provider: model.provider, message: "\(model.name): \(reason)")
        }
    }

    /// The provider error in `error`, made safe to report, after telling the breaker what it
    /// says about the provider; cancellation and foreign errors are rethrown as they are.
    private func classify(_ error: any Error, breaker: CircuitBreaker, endpoint: ProviderEndpoint) throws -> (
        ModelProviderError, committed: Bool
    ) {
        var committed = false
        var underlying = error
        if let failure = error as? CommittedFailure {
            committed = true
            underlying = failure.error
        }
        if Task.isCancelled || underlying is CancellationError {
            breaker.recordNeutral()
            throw CancellationError()
        }
        guard let providerError = underlying as? ModelProviderError else {
            // Not a provider's failure (a bug, a foreign error): nothing to say about its health.
            breaker.recordNeutral()
            throw underlying
        }
        if providerError.countsAgainstProvider {
            breaker.recordFailure()
        } else {
            // The provider answered (a rate limit, a refusal of the request): it is alive.
            breaker.recordSuccess()
        }
        return (providerError.scrubbed(of: endpoint).namingCredential(of: endpoint), committed)
    }

    /// How long to wait before retry number `retry`, or nil when the provider asks for longer
    /// than the policy waits (then the model cools down and the call fails over).
    private func retryWait(after failure: ModelProviderError, retry: Int) -> Duration? {
        guard let retryAfter = failure.retryAfter else { return backoffDelay(forRetry: retry) }
        return retryAfter <= policy.maximumRetryAfter ? max(retryAfter, .zero) : nil
    }

    private func cooldown(after failure: ModelProviderError) -> Duration {
        let base = failure.retryAfter ?? (failure.code == .overloaded ? policy.overloadCooldown : policy.rateLimitCooldown)
        return min(max(base, .zero), policy.maximumCooldown)
    }
}
