import ArgumentParser
import EngineService
import Foundation
import JSONValues
import SandcastleClient

/// `sandcastle runs transparency RUN [--json]`: the run's transparency report (issue 15 §6), from
/// the data folder or, with `--url`, from a server's `GET /api/runs/{id}/transparency-report`.
struct RunsTransparency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transparency",
        abstract: "Show what a run did with AI: models and regions, human oversight, violations, cost, privacy.",
        discussion: """
            The report a reviewer reads (EU AI Act, Article 13): the workflow's risk level and the compliance mode, \
            each model with its provider, region, calls, tokens and cost, every approval gate with who decided what \
            and when, policy violations, the total cost, and the data residency and privacy settings in force.
            """)

    @OptionGroup var options: DataDirectoryOptions

    @Argument(help: "The run id.")
    var id: String

    @Flag(name: .long, help: "Print the report as JSON (the API's shape).")
    var json = false

    func run() async throws {
        let document: JSONValue
        if let client = try options.remote() {
            document = try await Remote.orExit { try await client.transparencyReportJSON(runID: id) }
        } else {
            let service = try await options.openService()
            document = try RunDriver.orExit { try service.transparencyReport(id: id) }.json
        }
        if json {
            Console.print(document.jsonText)
            return
        }
        let report: RemoteTransparencyReport
        do {
            report = try RemoteTransparencyReport(json: document)
        } catch {
            Console.error("sandcastle: the transparency report cannot be read: \(error)")
            throw ExitCode(1)
        }
        for line in Self.lines(report) { Console.print(line) }
    }

    static func lines(_ report: RemoteTransparencyReport) -> [String] {
        func money(_ value: Double) -> String { String(format: "$%.4f", value) }
        func time(_ date: Date?) -> String { date.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "—" }
        func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
        let residency = report.dataResidency
        var regions = residency.regionsUsed.isEmpty ? "none" : residency.regionsUsed.joined(separator: ", ")
        if residency.unknownRegionCalls > 0 { regions += " (\(plural(residency.unknownRegionCalls, "call")) in an unknown region)" }
        var privacy = "off"
        if report.privacy.enabled {
            let entities = report.privacy.entities.joined(separator: ", ")
            let targets = report.privacy.applyTo.joined(separator: ", ")
            privacy = "\(report.privacy.mode) \(entities) in \(targets); \(report.privacy.piiRedactedInPrompts) replaced in prompts"
        }
        var cost = money(report.totalCostUSD)
        if report.unpricedModelCalls > 0 { cost += " (+ \(plural(report.unpricedModelCalls, "call")) without a price)" }
        var risk = report.riskLevel
        if let mode = report.complianceMode { risk += " (compliance mode \(mode))" }
        var lines = [
            "transparency report of run \(report.runID) (workflow \(report.workflow), \(report.status))",
            "  risk level:      \(risk)",
            "  data residency:  \(residency.setting ?? "any region"); regions used: \(regions)",
            "  privacy:         \(privacy)",
            "  total cost:      \(cost)",
            "models (\(report.models.count)):",
        ]
        for use in report.models {
            let tokens = "\(use.inputTokens) in / \(use.outputTokens) out tokens"
            lines.append(
                "  \(use.model) on \(use.provider), region \(use.region ?? "unknown"): \(plural(use.calls, "call")), \(tokens), \(money(use.costUSD))")
        }
        lines.append("human oversight (\(plural(report.humanOversight.approvalGates, "approval gate"))):")
        for decision in report.humanOversight.decisions {
            let comment = decision.comment.map { " — \($0)" } ?? ""
            lines.append("  \(decision.stepID): \(decision.status) by \(decision.decidedBy ?? "—") at \(time(decision.decidedAt))\(comment)")
        }
        lines.append("policy violations (\(report.policyViolations.count)):")
        for violation in report.policyViolations {
            let place = violation.stepID.map { " at step \($0)" } ?? ""
            let matched = violation.matched.map { ": \($0)" } ?? ""
            lines.append("  \(violation.severity) \(violation.policy) → \(violation.action)\(place)\(matched)")
        }
        lines.append("generated at \(time(report.generatedAt))")
        return lines
    }
}
