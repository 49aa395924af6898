import Hummingbird
import JSONValues
import Orchestrator
import ServerCore

/// Who may do what under `/api` (issue 14 §7): every handler asks for the caller first; a tenant
/// key sees only its tenant's runs, workflows, schedules and approvals (a foreign id answers as
/// one that does not exist), admin-only endpoints answer 403 `FORBIDDEN` "Admin access required",
/// and a key's `allowed_workflows` limits which workflows it may run, by name.
extension SandcastleAPIController {
    /// The caller the auth middleware found. A request without one never acts for anyone.
    static func caller(_ context: ServerRequestContext) throws -> APICaller {
        guard let caller = context.caller else { throw ServerError(.unauthorized, "an API key is required") }
        return caller
    }

    /// The caller, who must be an admin.
    static func admin(_ context: ServerRequestContext) throws -> APICaller {
        let caller = try caller(context)
        guard caller.isAdmin else { throw SandcastleAPIError(.forbidden, "FORBIDDEN", "Admin access required") }
        return caller
    }

    /// The run id of the path, which the caller must be allowed to see.
    static func visibleRunID(_ context: ServerRequestContext, orchestrator: Orchestrator) throws -> (id: String, caller: APICaller) {
        let id = try runID(context)
        let caller = try caller(context)
        try orchestrator.requireVisible(runID: id, to: caller.tenantID)
        return (id, caller)
    }

    /// Refuses a workflow the key may not run.
    static func requireAllowed(_ caller: APICaller, workflow name: String) throws {
        guard caller.mayRun(workflow: name) else {
            throw SandcastleAPIError(.forbidden, "FORBIDDEN", "this API key may not run workflow '\(name.prefix(200))'")
        }
    }

    /// A submission as the caller makes it: its tenant, the key's workflow restriction (a key
    /// limited to named workflows may not send YAML), and the budget (the request's, else the key's).
    static func submission(_ body: [String: JSONValue], caller: APICaller) throws -> RunSubmission {
        var submission = try submission(body)
        switch submission.source {
        case .named(let name, _): try requireAllowed(caller, workflow: name)
        case .inline:
            if caller.allowedWorkflows != nil {
                throw SandcastleAPIError(.forbidden, "FORBIDDEN", "this API key may run only its allowed workflows, by name; not YAML sent inline")
            }
        }
        submission.tenant = caller.tenantID
        if submission.maxCostUSD == nil { submission.maxCostUSD = caller.maxCostPerRunUSD }
        return submission
    }
}
