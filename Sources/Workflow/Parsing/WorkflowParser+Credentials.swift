/// A step's `credentials:`: `- github:default` or `- {name: github:default, env: GITHUB_TOKEN}`.
extension WorkflowParser {
    static let credentialFields: Set<String> = ["name", "env"]
    static let credentialsHint = "write credentials: [github:default] or credentials: [{name: github:default, env: GITHUB_TOKEN}]"

    func credentials(_ step: MappingReader, environment: [EnvironmentEntry], session: Located<String>?) -> [CredentialDeclaration] {
        guard let node = step.value("credentials") else { return [] }
        let parse = step.session
        guard case .sequence(let items) = node.content else {
            parse.error(.wrongType, at: node.location, "`credentials` must be a list, found \(node.typeName)", hint: Self.credentialsHint)
            return []
        }
        if let session, !items.isEmpty {
            // A session's shell outlives the step: an exported credential would reach the next step in it.
            parse.error(
                .invalidValue, at: node.location,
                "a step in session `\(session.value)` cannot take credentials: the session's shell is shared with its other steps",
                hint: "run the step that needs the credential outside the session")
            return []
        }
        var declarations: [CredentialDeclaration] = []
        for item in items {
            guard let declaration = credential(item, session: parse) else { continue }
            if declarations.contains(where: { $0.name == declaration.name }) {
                parse.error(.invalidValue, at: item.location, "credential `\(declaration.name)` is declared twice", hint: "keep one entry")
            } else if declarations.contains(where: { $0.environmentName == declaration.environmentName }) {
                parse.error(
                    .invalidValue, at: item.location, "two credentials are received in `\(declaration.environmentName)`",
                    hint: "give one of them another variable: {name: \(declaration.name), env: OTHER_NAME}")
            } else if environment.contains(where: { $0.name == declaration.environmentName }) {
                parse.error(
                    .invalidValue, at: item.location,
                    "credential `\(declaration.name)` is received in `\(declaration.environmentName)`, which the step's `env` sets too",
                    hint: "remove it from `env` or give the credential another variable")
            } else {
                declarations.append(declaration)
            }
        }
        return declarations
    }

    private func credential(_ node: YAMLNode, session: ParseSession) -> CredentialDeclaration? {
        let name: Located<String>
        var environmentName: Located<String>?
        if let scalar = node.scalar, case .string(let text) = scalar.value {
            name = Located(text, at: node.location)
        } else if case .mapping = node.content,
            let reader = MappingReader(node, subject: "a credential", session: session, expectation: Self.credentialsHint)
        {
            guard let given = reader.nonEmptyString("name", required: true, hint: "write {name: github:default, env: GITHUB_TOKEN}") else {
                return nil
            }
            name = given
            environmentName = reader.nonEmptyString("env")
            reader.reportUnknownFields(allowed: Self.credentialFields)
        } else {
            session.error(.wrongType, at: node.location, "a credential is a name or a mapping, found \(node.typeName)", hint: Self.credentialsHint)
            return nil
        }
        if let problem = CredentialDeclaration.nameProblem(name.value) {
            session.error(.invalidValue, at: name.location, problem)
            return nil
        }
        let variable = environmentName?.value ?? CredentialDeclaration.defaultEnvironmentName(for: name.value)
        let location = environmentName?.location ?? name.location
        if let problem = Self.environmentNameProblem(variable) {
            session.error(
                .invalidValue, at: location, "credential `\(name.value)` cannot be received in that variable: \(problem)",
                hint: "name the variable: {name: \(name.value), env: TOKEN}")
            return nil
        }
        if variable.hasPrefix("SANDCASTLE_") {
            session.error(
                .invalidValue, at: location, "`\(variable)`: names starting with SANDCASTLE_ are set by the engine",
                hint: "name the variable: {name: \(name.value), env: TOKEN}")
            return nil
        }
        return CredentialDeclaration(name: name.value, environmentName: variable, location: name.location)
    }
}
