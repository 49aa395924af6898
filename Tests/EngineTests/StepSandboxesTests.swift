import Sandbox
import TestSupport
import Testing

@testable import Engine

/// A run's sandboxes made ahead, on an in-memory backend (the Docker behaviour is covered by
/// `DockerWorkflowRunTests`).
@Suite struct StepSandboxesTests {
    static let base = StepSandboxes.Kind(image: "base", profile: "default")
    static let template = SandboxSpec(workspace: "sandcastle-run-r1", labels: ["sandcastle.run": "r1"])

    static func stepSpec(_ step: String, image: String = "base", environment: [String: String] = [:]) -> SandboxSpec {
        SandboxSpec(
            image: image, environment: environment, workspace: "sandcastle-run-r1",
            labels: ["sandcastle.run": "r1", "sandcastle.step": step])
    }

    @Test func eachStepOfAChainFindsTheNextSandboxMadeWhileTheOneBeforeRan() async throws {
        let backend = FakeBackend()
        let ahead = StepSandboxes(backendName: .docker, backend: backend, template: Self.template, planned: [Self.base: 3], lookahead: 1)

        let first = try await ahead.sandbox(for: Self.stepSpec("a"))
        #expect(!first.prewarmed, "nothing can be ready before the first step")
        #expect(await eventually { backend.created == 2 }, "the next one is made while the first step runs")
        let second = try await ahead.sandbox(for: Self.stepSpec("b"))
        let third = try await ahead.sandbox(for: Self.stepSpec("c"))
        #expect(second.prewarmed && third.prewarmed)
        #expect(Set([first.instance.id, second.instance.id, third.instance.id]).count == 3, "a fresh sandbox per step")
        await ahead.close()
        #expect(backend.created == 3, "no step was left to make one for after the third")
        #expect(await ahead.statistics == StepSandboxes.Statistics(hits: 2, misses: 1, wasted: 0))
    }

    @Test func aSandboxMadeAheadHasTheRunsWorkspaceAndLabelsAndGetsTheStepsEnvironmentAtHandOut() async throws {
        let backend = FakeBackend()
        let ahead = StepSandboxes(backendName: .docker, backend: backend, template: Self.template, planned: [Self.base: 2], lookahead: 1)
        _ = try await ahead.sandbox(for: Self.stepSpec("a"))
        let handed = try await ahead.sandbox(for: Self.stepSpec("b", environment: ["GREETING": "it's $(here)"]))
        #expect(handed.prewarmed)
        let pooled = try #require(handed.instance as? PooledSandbox)
        #expect(pooled.environment == ["GREETING": "it's $(here)"])
        let made = try #require(pooled.base as? FakeInstance)
        #expect(made.spec.workspace == "sandcastle-run-r1")
        #expect(made.spec.labels == ["sandcastle.run": "r1"], "made before its step was known: no step label")
        #expect(made.spec.environment.isEmpty)
        await ahead.close()
    }

    @Test func kindsAreKeptApartAndAnUnexportableNameIsMadeColdWithItsSpec() async throws {
        let backend = FakeBackend()
        let python = StepSandboxes.Kind(image: "python", profile: "default")
        let ahead = StepSandboxes(backendName: .docker, backend: backend, template: Self.template, planned: [Self.base: 2, python: 1], lookahead: 1)
        _ = try await ahead.sandbox(for: Self.stepSpec("a"))
        #expect(await eventually { backend.created == 2 })
        let other = try await ahead.sandbox(for: Self.stepSpec("p", image: "python"))
        #expect(!other.prewarmed, "a base sandbox is no python sandbox")
        #expect((other.instance as? FakeInstance)?.spec.image == "python")
        // `A-B` cannot be exported into a shell, so it must be on the container: made for the step.
        let odd = try await ahead.sandbox(for: Self.stepSpec("b", environment: ["A-B": "1"]))
        #expect(!odd.prewarmed)
        #expect((odd.instance as? FakeInstance)?.spec.environment == ["A-B": "1"])
        await ahead.close()
        #expect(await ahead.statistics.wasted == 1, "the base sandbox made for b went unused")
    }

    @Test func closeRemovesWhatNoStepTookAndMakesNoMore() async throws {
        let backend = FakeBackend()
        let ahead = StepSandboxes(backendName: .docker, backend: backend, template: Self.template, planned: [Self.base: 5], lookahead: 2)
        let first = try await ahead.sandbox(for: Self.stepSpec("a"))
        await ahead.close()
        #expect(backend.created == 3, "two made ahead")
        let unused = Set((1...3).map { "fake-\($0)" }).subtracting([first.instance.id])
        #expect(backend.destroyed == unused)
        let late = try await ahead.sandbox(for: Self.stepSpec("b"))
        #expect(!late.prewarmed)
        #expect(backend.created == 4, "none made ahead after close")
        try await first.instance.destroy()
        try await late.instance.destroy()
        #expect(backend.destroyed.count == backend.created)
    }

    @Test func aFanOutCountsItsItemsOnceTheyAreKnown() async throws {
        let backend = FakeBackend()
        let ahead = StepSandboxes(backendName: .docker, backend: backend, template: Self.template, planned: [Self.base: 1], lookahead: 1)
        await ahead.expect(Self.base, more: 2)
        var prewarmed: [Bool] = []
        for item in 0..<3 {
            let made = try await ahead.sandbox(for: Self.stepSpec("fan"))
            prewarmed.append(made.prewarmed)
            #expect(await eventually { backend.created == min(item + 2, 3) })
        }
        #expect(prewarmed == [false, true, true])
        await ahead.close()
        #expect(await ahead.statistics.wasted == 0)
    }

    @Test func aFailedCreationAheadFallsBackToMakingTheSandboxForTheStep() async throws {
        let backend = FailingAheadBackend()
        let ahead = StepSandboxes(backendName: .docker, backend: backend, template: Self.template, planned: [Self.base: 2], lookahead: 1)
        _ = try await ahead.sandbox(for: Self.stepSpec("a"))
        let second = try await ahead.sandbox(for: Self.stepSpec("b"))
        #expect(!second.prewarmed)
        #expect((second.instance as? FakeInstance)?.spec.labels["sandcastle.step"] == "b")
        await ahead.close()
        #expect(await ahead.statistics == StepSandboxes.Statistics(hits: 0, misses: 2, wasted: 1))
    }
}

/// A ``FakeBackend`` whose creations of sandboxes made ahead (no step label yet) fail.
final class FailingAheadBackend: SandboxBackend {
    let name = "failing-ahead"
    let inner = FakeBackend()

    func create(_ spec: SandboxSpec) async throws -> any SandboxInstance {
        guard spec.labels["sandcastle.step"] != nil else { throw SandboxError(.imageNotFound, "no sandboxes ahead here") }
        return try await inner.create(spec)
    }
}
