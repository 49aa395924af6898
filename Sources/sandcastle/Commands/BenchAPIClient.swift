import ArgumentParser
import Foundation
import HTTPTransport
import ProviderDouble
import Synchronization

/// The benchmark's client of one server's `/api`, as Sandcastle's SDK uses it: `POST
/// /api/workflows/run` by name, then `GET /api/runs/{id}/stream` until its `result` frame.
///
/// With `submissionsPerAddress`, each run is submitted from a client bound to a loopback source
/// address of its own every that many submissions (127.77.x.y): the peer allows 10 submissions
/// per 60 s per client address, and the benchmark must not wait on that limit.
final class APIBenchClient: Sendable {
    let name: String
    private let host: String
    private let port: Int
    private let headers: HTTPHeaders
    private let submissionsPerAddress: Int?
    /// For reads, which no limit counts: `GET /api/runs/{id}`.
    private let reader: HTTPClient
    private let state = Mutex(State())

    private struct State {
        var submissions = 0
        var clients: [Int: HTTPClient] = [:]
    }

    init(name: String, host: String, port: Int, apiKey: String?, submissionsPerAddress: Int?) throws {
        self.name = name
        // Loopback only: a proxy from the environment must not carry (and time) the requests.
        self.reader = try HTTPClient(endpoint: .http(host: host, port: port), configuration: .init(proxy: .direct))
        self.host = host
        self.port = port
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let apiKey { headers["X-API-Key"] = apiKey }
        self.headers = headers
        self.submissionsPerAddress = submissionsPerAddress
    }

    /// The client of the next submission.
    private func nextClient() throws -> HTTPClient {
        try state.withLock { state in
            let slot = submissionsPerAddress.map { state.submissions / $0 } ?? 0
            state.submissions += 1
            if let client = state.clients[slot] { return client }
            let source: String? =
                submissionsPerAddress == nil ? nil : "127.77.\(slot / 250).\(slot % 250 + 1)"
            let client = try HTTPClient(
                endpoint: .http(host: host, port: port),
                configuration: HTTPClient.Configuration(maxCachedConnections: 32, proxy: .direct, sourceAddress: source))
            state.clients[slot] = client
            return client
        }
    }

    /// Submits a run of `workflow` and follows its stream to the `result` frame; returns the time
    /// from handing the submission to the client to reading that frame. A run that does not
    /// complete fails the benchmark with the server's own words.
    func run(_ workflow: String) async throws -> (runID: String, elapsed: Duration) {
        let client = try nextClient()
        let start = ContinuousClock.now
        let submitted = try await client.send(
            HTTPRequest(
                method: .post, path: "/api/workflows/run", headers: headers,
                body: .bytes(Array(#"{"workflow_name":"\#(workflow)","input":{}}"#.utf8)), timeout: .seconds(120)))
        guard submitted.status == 202,
            let body = try? JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any],
            let data = body["data"] as? [String: Any], let runID = data["run_id"] as? String
        else {
            throw ValidationError(
                "\(name): POST /api/workflows/run (\(workflow)) answered \(submitted.status): \(submitted.bodyText.prefix(300))")
        }
        let stream = try await client.stream(
            HTTPRequest(method: .get, path: "/api/runs/\(runID)/stream", headers: headers, timeout: .seconds(600)))
        guard stream.status == 200 else {
            throw ValidationError("\(name): GET /api/runs/\(runID)/stream answered \(stream.status)")
        }
        var reader = ServerSentEvents()
        for try await chunk in stream.body {
            for event in reader.feed(chunk) where event.name == "result" {
                let elapsed = ContinuousClock.now - start
                stream.cancel()
                let result = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any]
                guard let status = result?["status"] as? String, status == "completed" else {
                    throw ValidationError("\(name): run \(runID) of \(workflow) ended: \(event.data.prefix(400))")
                }
                return (runID, elapsed)
            }
        }
        throw ValidationError("\(name): the stream of run \(runID) (\(workflow)) ended without a result frame")
    }

    /// `runs` runs of `workflow`, `concurrency` in flight at any time; each run's submit-to-result
    /// time and the wall time of all of them. `progress` hears how many runs have finished.
    func runMany(
        _ workflow: String, runs: Int, concurrency: Int, progress: @escaping @Sendable (Int) -> Void
    ) async throws -> (latencies: [Duration], wall: Duration) {
        let next = RunTickets()
        let finished = RunTickets()
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<min(concurrency, runs) {
                group.addTask {
                    var mine: [Duration] = []
                    while true {
                        let index = next.take()
                        guard index < runs else { return mine }
                        mine.append(try await self.run(workflow).elapsed)
                        progress(finished.take() + 1)
                    }
                }
            }
            var all: [Duration] = []
            for try await mine in group { all.append(contentsOf: mine) }
            return all
        }
        return (latencies, ContinuousClock.now - start)
    }

    /// Runs of a workflow of `steps` model steps, one at a time; for each, (submit-to-result −
    /// the double's own time during the run) / steps, in milliseconds, and the same with the run's
    /// time as the server recorded it (`completed_at − started_at` of `GET /api/runs/{id}`), which
    /// leaves out the queue and how soon the stream tells the client.
    func stepOverheads(
        _ workflow: String, steps: Int, runs: Int, double: RunningProviderDouble
    ) async throws -> (wall: [Double], recorded: [Double]) {
        var wall: [Double] = []
        var recorded: [Double] = []
        for _ in 0..<runs {
            let before = double.times
            let (runID, elapsed) = try await run(workflow)
            let during = before.until(double.times)
            guard during.requests >= steps else {
                throw ValidationError("\(name): a run of \(workflow) made \(during.requests) model calls, not \(steps)")
            }
            wall.append((elapsed - during.busy).milliseconds / Double(steps))
            recorded.append((try await recordedMilliseconds(runID) - during.busy.milliseconds) / Double(steps))
        }
        return (wall, recorded)
    }

    /// `completed_at − started_at` of a finished run, in milliseconds.
    private func recordedMilliseconds(_ runID: String) async throws -> Double {
        let response = try await reader.send(HTTPRequest(path: "/api/runs/\(runID)", headers: headers, timeout: .seconds(60)))
        let body = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let data = body?["data"] as? [String: Any]
        guard response.status == 200, let started = (data?["started_at"] as? String).flatMap(WallClockText.seconds),
            let completed = (data?["completed_at"] as? String).flatMap(WallClockText.seconds)
        else {
            throw ValidationError("\(name): GET /api/runs/\(runID) answered \(response.status) without both timestamps: \(response.bodyText.prefix(300))")
        }
        return (completed - started) * 1000
    }
}

/// An ISO-8601 date-time as seconds, its offset ignored: only differences between two times of
/// one run are taken, and the peer writes its times without an offset.
enum WallClockText {
    static func seconds(_ text: String) -> Double? {
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d+)?"#
        guard let match = text.range(of: pattern, options: .regularExpression) else { return nil }
        let digits = text[match].split(whereSeparator: { "-T :".contains($0) })
        guard digits.count >= 6, let year = Int(digits[0]), let month = Int(digits[1]), let day = Int(digits[2]),
            let hour = Int(digits[3]), let minute = Int(digits[4]), let second = Double(digits[5])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)) else {
            return nil
        }
        return date.timeIntervalSince1970 + second
    }
}

/// Hands out run numbers 0, 1, 2… to the workers of ``APIBenchClient/runMany(_:runs:concurrency:progress:)``.
private final class RunTickets: Sendable {
    private let next = Mutex(0)

    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

/// Splits a `text/event-stream` body into events (`event:` name, `data:` lines joined).
struct ServerSentEvents {
    struct Event {
        var name: String
        var data: String
    }

    private var pending: [UInt8] = []

    mutating func feed(_ bytes: [UInt8]) -> [Event] {
        pending.append(contentsOf: bytes.filter { $0 != UInt8(ascii: "\r") })
        var events: [Event] = []
        while let end = blankLine() {
            let block = String(decoding: pending[..<end], as: UTF8.self)
            pending.removeSubrange(..<(end + 2))
            var name = "message"
            var data: [Substring] = []
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event:") { name = line.dropFirst(6).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("data:") { data.append(line.dropFirst(line.hasPrefix("data: ") ? 6 : 5)) }
            }
            // A block of comments only (keep-alives) is no event.
            if !data.isEmpty { events.append(Event(name: name, data: data.joined(separator: "\n"))) }
        }
        return events
    }

    private func blankLine() -> Int? {
        guard pending.count >= 2 else { return nil }
        for index in 0..<(pending.count - 1) where pending[index] == 10 && pending[index + 1] == 10 { return index }
        return nil
    }
}

/// The benchmark's workflows, the same for both servers but for the model's name: ours reaches
/// the double as an OpenAI-compatible provider (`openai/…`), the peer through its NIM provider
/// (`nim/…`, Sandcastle's way to an OpenAI-compatible server of one's own).
enum BenchAPIWorkflows {
    static let oneStep = "bench-one"
    static let chain = "bench-chain"
    static let fanOut = "bench-fanout"
    static let chainSteps = 20
    static let fanOutWidth = 50

    /// Every workflow by name, as YAML for a server whose models are called `model`.
    static func files(model: String) -> [String: String] {
        func step(_ id: String, after previous: String?) -> String {
            let dependency = previous.map { ", depends_on: [\($0)]" } ?? ""
            return "  - {id: \(id), type: llm, model: \(model), prompt: \"Say hello.\"\(dependency)}\n"
        }
        let ids = { (count: Int) in (1...count).map { String(format: "s%02d", $0) } }
        let chainIDs = ids(chainSteps)
        return [
            oneStep: "name: \(oneStep)\nsteps:\n" + step("ask", after: nil),
            chain: "name: \(chain)\nsteps:\n"
                + chainIDs.enumerated().map { index, id in step(id, after: index == 0 ? nil : chainIDs[index - 1]) }.joined(),
            fanOut: "name: \(fanOut)\nsteps:\n" + ids(fanOutWidth).map { step($0, after: nil) }.joined(),
        ]
    }

    static func write(model: String, into folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, yaml) in files(model: model) {
            try yaml.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
    }
}
