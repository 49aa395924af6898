import Engine
import ModelProviders

/// Where a run's model answers come from.
public enum ModelSource: Sendable, Equatable {
    /// The providers the environment configures.
    case live
    /// The providers, with every answer also written to a recording (`--record FILE`).
    case record(path: String)
    /// A recording, with no provider at all (`--replay FILE`): the tools still run for real.
    case replay(path: String)
}

extension EngineSettings {
    /// How this process's agent and `llm` steps reach models.
    ///
    /// - Throws: the models file's or a provider variable's error (naming the file and line, or
    ///   the variable and its value); a recording that cannot be read or written.
    public func modelAccess(_ source: ModelSource = .live) throws -> ModelAccess {
        let catalog = try ModelCatalog.load(modelsFile: modelsFile, environment: environment)
        switch source {
        case .replay(let path):
            return ModelAccess(provider: ReplayProvider(try ConversationRecording.load(path: path)), catalog: catalog)
        case .live:
            return ModelAccess(router: try router(catalog), catalog: catalog)
        case .record(let path):
            let router = try router(catalog)
            let recorder = try ConversationRecorder(path: path)
            return ModelAccess(
                provider: RecordingProvider(router, recorder: recorder), catalog: catalog,
                reporting: { RecordingProvider(router.reporting(to: $0), recorder: recorder) })
        }
    }

    private func router(_ catalog: ModelCatalog) throws -> ModelRouter {
        ModelRouter(
            catalog: catalog, settings: try ProviderSettings(environment: environment, catalog: catalog),
            policy: RoutingPolicy(residency: dataResidency), makeProvider: ModelRouter.client(for:))
    }
}
