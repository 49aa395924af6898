/// Renders the prompt of an agent or `llm` step the way Sandcastle does, so its workflows mean
/// the same here:
///
/// - references are spliced in as text: strings as they are, objects and lists as compact JSON
///   (a prompt is read by a model, not a shell, so there is nothing to escape);
/// - a reference whose value does not exist (a field the upstream output lacks) stays in the
///   text as written, and is reported, instead of failing the step;
/// - every step named in `depends_on` that the prompt does not reference is appended as
///   "Context from previous steps", so a model sees what it was made to wait for.
public enum PromptRenderer {
    public struct Rendered: Sendable, Equatable {
        public var text: String
        /// References left as written because their value does not exist.
        public var unresolved: [String]
    }

    public static func render(_ template: Template, step: StepDefinition, context: TemplateContext) -> Rendered {
        var text = ""
        var unresolved: [String] = []
        var referenced: Set<String> = []
        for part in template.parts {
            switch part {
            case .literal(let literal):
                text += literal
            case .reference(let reference, _):
                if let id = reference.stepID { referenced.insert(id) }
                do {
                    text += try context.resolve(reference).renderedString
                } catch {
                    unresolved.append("{\(reference)}")
                    text += "{\(reference)}"
                }
            }
        }
        let unreferenced = step.dependsOn.map(\.value).filter { !referenced.contains($0) }
        var seen: Set<String> = []
        let context = unreferenced.filter { seen.insert($0).inserted }.compactMap { id in
            context.steps[id].map { "[\(id)]: \($0.output.renderedString)" }
        }
        if !context.isEmpty {
            text += "\n\nContext from previous steps:\n" + context.joined(separator: "\n")
        }
        return Rendered(text: text, unresolved: unresolved)
    }
}
