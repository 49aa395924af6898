import Engine
import Foundation
import Store
import Testing
import Workflow

@Suite struct RunEventTests {
    static let samples: [RunEvent] = [
        .runStarted(.init(workflow: "wf")),
        .runStarted(.init(workflow: "wf", parentRun: "p1", fromStep: "b", changes: .object(["image": "python"]))),
        .runResumed(.init(workflow: "wf", finishedSteps: ["a", "b"])),
        .runPaused(.init(waitingFor: ["gate"])),
        .runFinished(.init(status: .completed, error: nil, outputs: ["n": 3])),
        .runCancelRequested,
        .stepStarted(.init(step: "a", index: 2, attempt: 1, backend: "docker", failover: "circuit is open")),
        .attemptFinished(
            .init(
                step: "a", index: nil, attempt: 2, status: .failed, error: "exit code 1",
                outputTail: "boom\n", sandboxMadeAhead: true)),
        .retryScheduled(.init(step: "a", index: nil, attempt: 1, delayMs: 250, error: nil)),
        .stepFinished(
            .init(
                step: "a", status: .completed, durationMs: 12, error: nil, reason: nil, outputTail: nil,
                output: .object(["k": "v"]), outputPath: nil)),
        .stepSkipped(.init(step: "c", reason: "skipped because `a` failed")),
        .stepReused(.init(step: "a", fromRun: "p1", status: .completed)),
        .artifactsCollected(.init(step: "a", index: 0, files: ["out/x.txt"], bytes: 5, problem: nil)),
        .approvalRequested(.init(step: "gate", message: "Deploy?", data: .object(["v": 2]), timeoutAt: "2026-12-07T10:00:00Z")),
        .approvalDecided(.init(step: "gate", status: .approved, by: "ana", comment: "ok")),
        .workspaceSaved(.init(bytes: 10240)),
        .workspaceNotSaved(.init(reason: "too large")),
        .workspaceRestored(.init(fromRun: "p1", bytes: 10240)),
        .workspaceNotRestored(.init(fromRun: "p1", reason: "none kept")),
        .deadLettered(.init(step: "a", index: 1, item: "0123456789abcdef", error: "exit code 3", attempts: 2)),
    ]

    @Test func everyEventReadsBackAsWritten() {
        for event in Self.samples {
            #expect(RunEvent(kind: event.kind, payloadJSON: event.payloadJSON()) == event, "\(event.kind)")
        }
    }

    @Test func payloadsAreReadableSnakeCaseJSON() {
        let attempt = RunEvent.attemptFinished(
            .init(
                step: "a", index: nil, attempt: 1, status: .completed, error: nil,
                outputTail: nil, sandboxMadeAhead: true))
        #expect(attempt.payloadJSON() == #"{"attempt":1,"sandbox_made_ahead":true,"status":"completed","step":"a"}"#)
        #expect(RunEvent.runCancelRequested.payloadJSON() == "{}")
    }

    /// Payloads as the engine wrote them before events were typed (built by hand, `index: null`
    /// written out, keys in any order): a database from then reads the same.
    @Test func eventsWrittenBeforeTypingReadTheSame() {
        #expect(
            RunEvent(kind: "step_started", payloadJSON: #"{"step":"a","index":null,"attempt":1,"backend":"docker"}"#)
                == .stepStarted(.init(step: "a", index: nil, attempt: 1, backend: "docker", failover: nil)))
        #expect(
            RunEvent(kind: "step_finished", payloadJSON: #"{"duration_ms":5,"status":"failed","step":"s","error":"exit code 2","output_tail":"x"}"#)
                == .stepFinished(
                    .init(
                        step: "s", status: .failed, durationMs: 5, error: "exit code 2", reason: nil,
                        outputTail: "x", output: nil, outputPath: nil)))
        #expect(
            RunEvent(kind: "run_finished", payloadJSON: #"{"status":"cancelled","outputs":{},"error":"the run was cancelled"}"#)
                == .runFinished(.init(status: .cancelled, error: "the run was cancelled", outputs: [:])))
    }

    @Test func unknownKindsAndBrokenPayloadsAreKeptNotDropped() {
        #expect(RunEvent(kind: "agent_turn", payloadJSON: #"{"turn":1}"#) == .unrecognized(kind: "agent_turn", payloadJSON: #"{"turn":1}"#))
        let broken = RunEvent(kind: "step_started", payloadJSON: "not json")
        #expect(broken == .unrecognized(kind: "step_started", payloadJSON: "not json"))
        #expect(broken.kind == "step_started" && broken.payloadJSON() == "not json")
    }

    @Test func codableFormIsOneFlatObjectWithItsKind() throws {
        for event in Self.samples {
            let data = try JSONEncoder().encode(event)
            guard case .object(let fields)? = JSONValue.parse(json: String(decoding: data, as: UTF8.self)) else {
                Issue.record("\(event.kind) did not encode as an object")
                continue
            }
            #expect(fields["kind"] == .string(event.kind))
            #expect(try JSONDecoder().decode(RunEvent.self, from: data) == event, "\(event.kind)")
        }
    }
}
