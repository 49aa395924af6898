import Store

extension RunService {
    /// The policy violations of run `runID`, newest first (`sandcastle runs violations`).
    ///
    /// - Throws: ``EngineServiceError`` `.notFound` for an unknown run, `.persistence`.
    public func violations(runID: String) throws -> [ViolationRecord] {
        _ = try run(id: runID)
        do {
            return try repository.violations(ViolationQuery(runID: runID, limit: Int(Int32.max)))
        } catch {
            throw EngineServiceError(.persistence, "cannot read the violations of run \(runID): \(error)", cause: error)
        }
    }
}
