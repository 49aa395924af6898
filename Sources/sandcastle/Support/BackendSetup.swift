import ArgumentParser
import Engine
import Foundation
import Sandbox
import SandboxE2B
import Workflow

/// The backends `run`, `runs resume` and `serve`'s resume loop route steps across.
///
/// - Docker always.
/// - E2B when `E2B_API_KEY` is set (with `E2B_DOMAIN`, `E2B_API_URL`, `E2B_SANDBOX_URL` as the SDK reads them).
/// - `SANDCASTLE_BACKEND_LIMITS=docker=8,e2b=4`: attempts per backend at once (default 8 each).
/// - `SANDCASTLE_BREAKER_THRESHOLD` (default 3) consecutive infrastructure failures open a
///   backend's breaker; `SANDCASTLE_BREAKER_COOLDOWN` seconds (default 30) later it lets one trial through.
enum BackendSetup {
    static func router(docker: any SandboxBackend, environment: [String: String]) throws -> BackendRouter {
        let limits = try self.limits(environment)
        let policy = try self.policy(environment)
        var entries = [BackendRouter.Entry(name: .docker, backend: docker, maxConcurrent: limits[.docker] ?? defaultLimit,
                                           breaker: CircuitBreaker(policy: policy))]
        if let key = environment["E2B_API_KEY"], !key.isEmpty {
            do {
                let e2b = try E2BSandboxBackend(configuration: try E2BConfiguration.fromEnvironment(environment))
                entries.append(BackendRouter.Entry(name: .e2b, backend: e2b, maxConcurrent: limits[.e2b] ?? defaultLimit,
                                                   breaker: CircuitBreaker(policy: policy)))
            } catch {
                Console.error("sandcastle: the E2B backend cannot be set up: \(error)")
                throw ExitCode(1)
            }
        }
        return BackendRouter(entries)
    }

    static let defaultLimit = 8

    /// `SANDCASTLE_BACKEND_LIMITS`: `name=count` pairs separated by commas.
    static func limits(_ environment: [String: String]) throws -> [Backend: Int] {
        guard let text = environment["SANDCASTLE_BACKEND_LIMITS"], !text.isEmpty else { return [:] }
        var limits: [Backend: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let backend = parts.first.map { Backend(rawValue: $0) }
            guard parts.count == 2, let backend, backend == .docker || backend == .e2b,
                  let value = Int(parts[1]), value >= 1 else {
                Console.error("sandcastle: SANDCASTLE_BACKEND_LIMITS must look like docker=8,e2b=4 (counts ≥ 1), not '\(text)'")
                throw ExitCode(1)
            }
            limits[backend] = value
        }
        return limits
    }

    static func policy(_ environment: [String: String]) throws -> CircuitBreaker.Policy {
        var policy = CircuitBreaker.Policy()
        if let text = environment["SANDCASTLE_BREAKER_THRESHOLD"] {
            guard let value = Int(text), value >= 0 else {
                Console.error("sandcastle: SANDCASTLE_BREAKER_THRESHOLD must be a whole number ≥ 0 (0 = never open), not '\(text)'")
                throw ExitCode(1)
            }
            policy.failureThreshold = value
        }
        if let text = environment["SANDCASTLE_BREAKER_COOLDOWN"] {
            guard let value = Double(text), value >= 0, value.isFinite else {
                Console.error("sandcastle: SANDCASTLE_BREAKER_COOLDOWN must be seconds ≥ 0, not '\(text)'")
                throw ExitCode(1)
            }
            policy.cooldown = .milliseconds(Int64(value * 1000))
        }
        return policy
    }
}
