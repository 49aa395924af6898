import EngineService
import ModelProviders
import OneShotAgent
import Orchestrator

extension ServerDependencies {
    /// `POST /query`'s session under the server's guardrails (issue 15), read from the
    /// orchestrator's settings: its router kept to `DATA_RESIDENCY`, and every request redacted
    /// first when the privacy router's `prompts` target is on. Without an orchestrator (tests of
    /// the other APIs) the router is used as it is.
    var oneShotSession: OneShotSession? {
        guard let router = modelRouter else { return nil }
        let settings = orchestrator?.runs.settings
        return OneShotSession(
            router: router.residing(in: settings?.dataResidency), promptRedactor: settings?.promptRedactor)
    }
}
