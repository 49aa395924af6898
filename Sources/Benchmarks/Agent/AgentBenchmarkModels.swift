import Engine
import Foundation
import ModelProviders
import ProviderDouble

/// Why an agent benchmark could not produce its figure.
public struct AgentBenchmarkError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The run under measurement did not end as scripted (a tool failed, the run failed).
        public static let runFailed = Code(rawValue: "run_failed")
        /// The timings do not describe one conversation (a missing answer, overlapping calls).
        public static let inconsistentTimings = Code(rawValue: "inconsistent_timings")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code = .inconsistentTimings, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ message: String) { self.init(.inconsistentTimings, message) }

    public var description: String { "\(code): \(message)" }
}

/// The model side of the agent benchmarks: a provider double in this process (zero latency) and
/// the real model stack in front of it (the router, the Anthropic client over libcurl and
/// loopback HTTP), with every call timed at the client (``ModelTimeline``).
public final class AgentBenchmarkModels: Sendable {
    /// The catalog name every benchmark call asks for (an Anthropic alias, so the Anthropic
    /// client speaks to the double).
    public static let model = "sonnet"

    public let double: RunningProviderDouble
    public let timeline = ModelTimeline()
    private let catalog: ModelCatalog

    private init(double: RunningProviderDouble, catalog: ModelCatalog) {
        self.double = double
        self.catalog = catalog
    }

    /// Starts the double on a free loopback port. Only the shipped models file is read (never a
    /// user's), so the figures do not depend on the machine's configuration.
    public static func start() async throws -> AgentBenchmarkModels {
        let catalog = try ModelCatalog.load(modelsFile: nil, environment: [:])
        return AgentBenchmarkModels(double: try await ProviderDouble.start(), catalog: catalog)
    }

    public func stop() async {
        await double.stop()
    }

    /// A new conversation answering `turns` in order: a router whose only provider is the double
    /// under a key of its own (the double keeps one script per key).
    public func conversation(_ turns: [ScriptedTurn], repeats: Bool = false) throws -> ModelRouter {
        let settings = try settings(for: turns, repeats: repeats)
        let timeline = self.timeline
        return ModelRouter(
            catalog: catalog, settings: settings,
            makeProvider: { endpoint in TimedProvider(try ModelRouter.client(for: endpoint), timeline: timeline) })
    }

    /// The same conversation without the router: the Anthropic client itself, timed. Only for
    /// telling the router's share of a round trip from the rest.
    public func directClient(_ turns: [ScriptedTurn]) throws -> any ModelProvider {
        guard let endpoint = try settings(for: turns, repeats: false).endpoint(for: "anthropic") else {
            throw AgentBenchmarkError(.runFailed, "no Anthropic endpoint in the benchmark's settings")
        }
        return TimedProvider(try ModelRouter.client(for: endpoint), timeline: timeline)
    }

    private func settings(for turns: [ScriptedTurn], repeats: Bool) throws -> ProviderSettings {
        let key = "sk-ant-bench-\(UUID().uuidString.lowercased())"
        double.setScript(key: key, ProviderScript(turns: turns, repeats: repeats))
        let environment = ["ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": double.anthropicBaseURL]
        return try ProviderSettings(environment: environment, catalog: catalog)
    }

    /// The same conversation as the engine's model access (prices from the shipped catalog).
    public func access(_ router: ModelRouter) -> ModelAccess {
        ModelAccess(router: router, catalog: catalog)
    }
}
