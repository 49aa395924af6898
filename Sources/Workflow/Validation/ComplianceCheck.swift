/// The risk rules a workflow must meet before anything of it runs: an `unacceptable` workflow
/// is refused always; under `COMPLIANCE_MODE=eu_ai_act` a `high` one needs a human approval
/// step (the EU AI Act's human oversight, Article 14).
public enum ComplianceCheck {
    /// The problems of `workflow` under `mode` (nil: no compliance mode), as validation errors.
    public static func problems(of workflow: WorkflowDefinition, mode: ComplianceMode?) -> [ValidationDiagnostic] {
        let location = workflow.riskLevel?.location
        switch workflow.risk {
        case .unacceptable:
            return [
                .error(
                    .compliance, at: location,
                    "workflow `\(workflow.name)` is classified `risk_level: unacceptable`, which is never run",
                    hint: "unacceptable-risk AI practices are prohibited (EU AI Act, Article 5)")
            ]
        case .high where mode == .euAIAct && !workflow.steps.contains(where: { $0.kind == .approval }):
            return [
                .error(
                    .compliance, at: location,
                    "workflow `\(workflow.name)` is `risk_level: high` and has no approval step, "
                        + "which COMPLIANCE_MODE=eu_ai_act requires (human oversight)",
                    hint: "add a step with `type: approval` before the outputs are used")
            ]
        default:
            return []
        }
    }
}
