/// Polls `condition` until it holds or `timeout` passes, and says which. The timeout only ends
/// a broken run: a quiet machine gets there in milliseconds, a loaded one may stall the whole
/// test process for seconds, so deadlines here are generous and never a measure of speed.
public func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
