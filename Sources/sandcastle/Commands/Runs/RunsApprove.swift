import ArgumentParser
import Engine
import EngineService
import Foundation
import SandcastleClient
import Workflow

/// `sandcastle runs approve RUN [STEP] [--comment C] [--by NAME] [--data JSON]`
struct RunsApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a run's approval gate; the run goes on.",
        discussion: """
            The decision is recorded in the state database. A `sandcastle run` (or `runs resume`) waiting \
            on the gate picks it up within a second; a run paused with --no-wait continues with \
            `sandcastle runs resume RUN`.
            """)

    @OptionGroup var decision: ApprovalDecisionOptions

    @Option(name: .long, help: "Replace the shown data with this JSON (only for steps with allow_edit: true).")
    var data: String?

    func run() async throws {
        var edited: JSONValue?
        if let data {
            guard let parsed = JSONValue.parse(json: data) else {
                Console.error("sandcastle: --data is not valid JSON: \(data)")
                throw ExitCode(1)
            }
            edited = parsed
        }
        try await decision.record(.approve(data: edited), verb: "approved")
    }
}

/// What `runs approve` and `runs reject` share.
struct ApprovalDecisionOptions: ParsableArguments {
    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Argument(help: "The approval step (default: the run's only pending approval).")
    var step: String?

    @Option(name: .long, help: "A comment kept with the decision.")
    var comment: String?

    @Option(name: .long, help: "Who decides (default: $USER).")
    var by: String?

    func record(_ decision: ApprovalDecision, verb: String) async throws {
        if let client = try options.remote() { return try await recordRemote(decision, verb: verb, client) }
        let service = try await options.openService()
        let who = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
        let approval = try RunDriver.orExit {
            try service.decide(decision, runID: id, stepID: step, by: who, comment: comment)
        }
        Console.print("\(verb) step `\(approval.stepID)` of run \(id)" + (comment.map { " (\($0))" } ?? ""))
        let status = (try? service.run(id: id))?.run.status
        if status == .waitingApproval || status == .running {
            let flag = LineLog.dataDirectoryFlag(options.directory)
            Console.print(
                "a `sandcastle run` waiting on it continues now; if none is (run with --no-wait, or stopped), "
                    + "continue with `sandcastle runs resume\(flag) \(id)`")
        }
    }

    /// On a server an approval is `<run>.<step>`; without STEP, the run's only pending one. The
    /// server records the key that decided, so --by has no meaning there.
    private func recordRemote(_ decision: ApprovalDecision, verb: String, _ client: SandcastleAPIClient) async throws {
        if by != nil { throw Remote.refuse("--by has no remote form: the server records the API key that decided") }
        let pending = try await Remote.orExit { try await client.approvals(status: "pending").items.filter { $0.runID == id } }
        let approval: RemoteApproval
        if let step {
            guard let found = pending.first(where: { $0.stepID == step }) else {
                throw Remote.refuse("run \(id) has no pending approval at step `\(step)` on \(client.server.url)")
            }
            approval = found
        } else {
            guard let only = pending.first else { throw Remote.refuse("run \(id) has no pending approval on \(client.server.url)") }
            guard pending.count == 1 else {
                throw Remote.refuse("run \(id) waits at \(pending.count) gates (\(pending.map(\.stepID).joined(separator: ", "))): name the step")
            }
            approval = only
        }
        let verbs: (SandcastleAPIClient.ApprovalVerb, JSONValue?) =
            switch decision {
            case .approve(let data): (.approve, data)
            case .reject: (.reject, nil)
            case .skip: (.skip, nil)
            }
        try await Remote.orExit { try await client.decide(verbs.0, approvalID: approval.id, comment: comment, editedData: verbs.1) }
        Console.print("\(verb) step `\(approval.stepID)` of run \(id)" + (comment.map { " (\($0))" } ?? "") + "; the server continues the run")
    }
}
