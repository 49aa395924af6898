import ArgumentParser

/// `sandcastle runs replay RUN --from STEP`
struct RunsReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Start a new run that re-runs STEP and everything after it, reusing RUN's results for the rest.",
        discussion: """
            Steps upstream of STEP (and finished steps on other branches) are not run again: their \
            recorded outputs feed the new run. The new run records RUN as its parent. It gets its own, \
            empty workspace. Refuses when the workflow file changed since RUN.
            """)

    @OptionGroup var lineage: LineageOptions

    func run() async throws {
        try await lineage.start(changes: nil)
    }
}
