import Orchestrator
import Workflow

/// Sandcastle saves a workflow under the name the request gives (`POST /api/workflows`
/// `{name, content}`), whatever the text's own `name:` says: its server rewrites the first
/// top-level `name:` line to match, so runs by that name are recorded, listed and guarded under
/// it. Without this, `save_workflow("report", text_named_draft)` would run as `draft`, and
/// `list_runs(workflow="report")` would never find the runs.
enum SandcastleWorkflowName {
    /// `yaml` with its name set to `name` (unchanged when it already is, or when it does not
    /// parse: saving reports its problems then).
    ///
    /// - Throws: ``OrchestratorError`` `invalidName`; ``SandcastleAPIError`` `INVALID_WORKFLOW`
    ///   when the name is not written on a `name:` line of its own that can be rewritten.
    static func renaming(_ yaml: String, to name: String) throws -> String {
        try WorkflowCatalog.validate(name: name)
        guard let written = parse(yaml), written.name != name else { return yaml }
        // By scalars, not characters: "\r\n" is one Character, and a CRLF file must split into lines too.
        var lines = yaml.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        if let index = lines.firstIndex(where: { $0.hasPrefix("name:") }) {
            // A valid name is letters, digits, `_` and `-`: quoted, it is a YAML string as it stands
            // (unquoted, `123` or `true` would not be).
            lines[index] = "name: \"\(name)\"" + (lines[index].unicodeScalars.last == "\r" ? "\r" : "")
            let renamed = lines.joined(separator: "\n")
            // Only the name may change: a `name:` line that began a multi-line value would take more.
            if let reread = parse(renamed), reread.name == name, reread.steps.map(\.id) == written.steps.map(\.id),
                reread.description == written.description
            {
                return renamed
            }
        }
        throw SandcastleAPIError(
            .badRequest, "INVALID_WORKFLOW",
            "the workflow is named \(String(reflecting: String(written.name.prefix(200)))) but is saved as \"\(name)\": "
                + "write its name on a `name:` line of its own at the top level, or save it under its own name")
    }

    private static func parse(_ yaml: String) -> WorkflowDefinition? {
        WorkflowParser().parse(yaml, file: "workflow").workflow
    }
}
