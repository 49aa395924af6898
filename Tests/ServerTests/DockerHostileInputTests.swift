import Foundation
import HTTPTransport
import Synchronization
import TestSupport
import Testing

@testable import Server
@testable import ServerCore

/// What a hostile client found on the real engine and runner (issue 12, items 6 and 11): the
/// kernel's refusals inside a sandbox, /proc files, malformed image references and a stats
/// call racing a delete each get their 4xx (or their bytes), never a 500.
@Suite(.timeLimit(.minutes(3)))
struct DockerHostileInputTests {
    @Test func theKernelsRefusalsInASandboxAreTheCallersErrors() async throws {
        try await DockerServerFixture.with { s in
            let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"base"}"#)
            let id = try #require(created.body["id"] as? String, "\(created.text)")
            // EINVAL: no security module takes this label.
            let label = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/proc/self/attr/current",
                    body: .bytes(Array("unconfined".utf8)), timeout: .seconds(30)))
            #expect(label.status == 400, "\(label.bodyText)")
            #expect(label.bodyText.contains("invalid_input") && label.bodyText.contains("Invalid argument"), "\(label.bodyText)")
            // ENXIO: a FIFO nobody reads.
            let fifo = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"mkfifo /tmp/fifo"}"#)
            #expect(fifo.body["exit_code"] as? Int == 0, "\(fifo.text)")
            let pipe = try await s.client.send(
                HTTPRequest(
                    method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/tmp/fifo", body: .bytes([1]),
                    timeout: .seconds(30)))
            #expect(pipe.status == 400, "\(pipe.bodyText)")
            // EACCES stays 403.
            let denied = try await s.client.send(
                HTTPRequest(method: .put, path: "/v1/sandboxes/\(id)/files/content?path=/etc/passwd", body: .bytes([1])))
            #expect(denied.status == 403, "\(denied.bodyText)")
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
        }
    }

    /// procfs reports size 0 and sysfs 4096 whatever a file holds: the download is what a read
    /// to the end gives (it used to be 0 bytes, and a /sys file hung the client on a length never sent).
    @Test func procAndSysFilesDownloadWhatAReadToTheEndGives() async throws {
        try await DockerServerFixture.with { s in
            let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"base"}"#)
            let id = try #require(created.body["id"] as? String, "\(created.text)")
            let stat = try await s.call(.get, "/v1/sandboxes/\(id)/files/stat?path=/proc/self/status")
            #expect(stat.body["size"] as? Int == 0, "procfs reports no size: \(stat.text)")
            let status = try await s.client.send(
                HTTPRequest(path: "/v1/sandboxes/\(id)/files/content?path=/proc/self/status", timeout: .seconds(30)))
            #expect(status.status == 200)
            #expect(status.bodyText.hasPrefix("Name:") && status.bodyText.contains("\nPid:"), "\(status.bodyText.prefix(200))")
            let mtu = try await s.client.send(
                HTTPRequest(path: "/v1/sandboxes/\(id)/files/content?path=/sys/class/net/lo/mtu", timeout: .seconds(30)))
            #expect(mtu.status == 200)
            #expect(mtu.bodyText == "65536\n", "\(mtu.bodyText.debugDescription)")
            // An ordinary file still comes whole.
            _ = try await s.call(.post, "/v1/sandboxes/\(id)/exec", json: #"{"command":"seq 1 20000 > /workspace/n"}"#)
            let numbers = try await s.client.send(HTTPRequest(path: "/v1/sandboxes/\(id)/files/content?path=/workspace/n"))
            #expect(numbers.bodyText == (1...20000).map { "\($0)\n" }.joined())
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
        }
    }

    /// The engine refuses these references with "invalid reference format", which surfaced as 500.
    @Test func malformedImageReferencesAreRefusedBeforeTheEngineSeesThem() async throws {
        try await DockerServerFixture.with { s in
            for image in ["Base", "sandcastle/base@sha256:zz", "sandcastle/Base:latest"] {
                let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"\#(image)"}"#)
                #expect(created.status == 400, "\(image): \(created.text)")
                #expect(s.errorCode(created.body) == "invalid_input", "\(image): \(created.text)")
                #expect(created.text.contains("not a valid image reference"), "\(created.text)")
            }
            // Well formed but not in the engine: as before, 400 image_not_found.
            let missing = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"sandcastle/not-built-here"}"#)
            #expect(missing.status == 400 && s.errorCode(missing.body) == "image_not_found", "\(missing.text)")
        }
    }

    /// Docker answers a stats call for a container being removed with an empty body; a sandbox
    /// deleted under its stats calls answers 410, as every later call does, never 500.
    @Test func statsRacingADeleteAnswersGoneNotAFailure() async throws {
        try await DockerServerFixture.with { s in
            let created = try await s.call(.post, "/v1/sandboxes", json: #"{"image":"base"}"#)
            let id = try #require(created.body["id"] as? String, "\(created.text)")
            let client = s.client
            let answered = Answers()
            // Four callers ask for stats over and over until they are told the sandbox is gone;
            // the delete lands once stats flow, so some calls are inside the engine when it does.
            let callers = (0..<4).map { _ in
                Task {
                    while true {
                        let status = try await client.send(HTTPRequest(path: "/v1/sandboxes/\(id)/stats", timeout: .seconds(60))).status
                        answered.add(status)
                        if status != 200 { return }
                    }
                }
            }
            #expect(await eventually { answered.all.count >= 4 })
            #expect(try await s.call(.delete, "/v1/sandboxes/\(id)").status == 200)
            for caller in callers { try await caller.value }
            let statuses = answered.all
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 410 }, "\(statuses)")
            #expect(statuses.last == 410)
        }
    }

    final class Answers: Sendable {
        private let statuses = Mutex<[Int]>([])
        func add(_ status: Int) { statuses.withLock { $0.append(status) } }
        var all: [Int] { statuses.withLock { $0 } }
    }
}
