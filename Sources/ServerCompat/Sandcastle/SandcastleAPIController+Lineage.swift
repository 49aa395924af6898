import Engine
import Foundation
import Hummingbird
import JSONValues
import Orchestrator
import ServerCore
import Workflow

/// `POST /api/runs/{id}/replay` and `/fork`: a new run, queued, that re-runs a step and what
/// follows it, reusing the parent's results for the rest; a fork changes the step first.
extension SandcastleAPIController {
    func registerLineage(_ routes: RouteTable) {
        let orchestrator = self.orchestrator
        routes.add(.post, "\(Self.prefix)/runs/:id/replay", native: false) { request, context in
            let parent = try Self.visibleRunID(context, orchestrator: orchestrator).id
            let body = try await Self.object(request)
            let fromStep = try Self.requiredString(body, "from_step")
            let newRunID = try await orchestrator.replay(runID: parent, fromStep: fromStep)
            return SandcastleEnvelope.ok(
                ["new_run_id": .string(newRunID), "parent_run_id": .string(parent), "replay_from_step": .string(fromStep), "status": "queued"],
                status: .accepted)
        }
        routes.add(.post, "\(Self.prefix)/runs/:id/fork", native: false) { request, context in
            let parent = try Self.visibleRunID(context, orchestrator: orchestrator).id
            let body = try await Self.object(request)
            let fromStep = try Self.requiredString(body, "from_step")
            let changes = try Self.forkChanges(body["changes"])
            let newRunID = try await orchestrator.replay(runID: parent, fromStep: fromStep, changes: changes)
            return SandcastleEnvelope.ok(
                [
                    "new_run_id": .string(newRunID), "parent_run_id": .string(parent), "fork_from_step": .string(fromStep),
                    "changes": changes.json, "status": "queued",
                ],
                status: .accepted)
        }
    }

    /// A fork's `changes`: `run` (the command), `image`, `env` (an object of strings), `timeout`
    /// (seconds, or a duration like `90s`), and Sandcastle's agent-step changes `prompt`,
    /// `model`, `max_turns`. A change the step's kind cannot take is refused by the engine, by name.
    static func forkChanges(_ value: JSONValue?) throws -> ForkChanges {
        guard let value, value != .null else { return ForkChanges() }
        guard case .object(let members) = value else {
            throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`changes` must be an object")
        }
        var changes = ForkChanges()
        for key in members.keys.sorted() {
            switch (key, members[key] ?? .null) {
            case ("run", .string(let command)): changes.command = command
            case ("image", .string(let image)): changes.image = image
            case ("prompt", .string(let prompt)): changes.prompt = prompt
            case ("model", .string(let model)): changes.model = model
            case ("max_turns", .integer(let turns)): changes.maxTurns = turns
            case ("env", .object(let env)):
                for (name, entry) in env {
                    guard case .string(let text) = entry else {
                        throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`changes.env.\(name)` must be a string")
                    }
                    changes.environment[name] = text
                }
            case ("timeout", .integer(let seconds)): changes.timeout = try Self.forkTimeout(seconds: Double(seconds))
            case ("timeout", .number(let seconds)): changes.timeout = try Self.forkTimeout(seconds: seconds)
            case ("timeout", .string(let text)):
                guard let duration = DurationParser.parse(text) else {
                    throw SandcastleAPIError(.unprocessableContent, "VALIDATION_ERROR", "`changes.timeout` is not a duration: '\(text.prefix(32))'")
                }
                changes.timeout = try Self.forkTimeout(seconds: duration / .seconds(1))
            default:
                throw SandcastleAPIError(
                    .unprocessableContent, "VALIDATION_ERROR",
                    "`changes.\(key)` is unknown or of the wrong type (known: run, image, env, timeout, prompt, model, max_turns)")
            }
        }
        return changes
    }

    /// A step timeout a fork may set: more than nothing, at most what a workflow may say
    /// (checked before any conversion, so a huge number is a clear 422, not an overflow).
    static func forkTimeout(seconds: Double) throws -> Duration {
        let most = Double(WorkflowParser.maximumStepTimeout.components.seconds)
        guard seconds.isFinite, seconds > 0, seconds <= most else {
            throw SandcastleAPIError(
                .unprocessableContent, "VALIDATION_ERROR", "`changes.timeout` must be more than 0 and at most \(Int(most)) seconds")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
