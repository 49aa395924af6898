import ArgumentParser

/// `sandcastle runs reject RUN [STEP] [--comment C] [--by NAME]`
struct RunsReject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reject", abstract: "Reject a run's approval gate; the step fails (and by default the run).")

    @OptionGroup var decision: ApprovalDecisionOptions

    func run() async throws {
        try await decision.record(.reject, verb: "rejected")
    }
}
