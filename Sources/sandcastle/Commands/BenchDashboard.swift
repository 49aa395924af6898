import ArgumentParser
import Benchmarks
import Dashboard
import Foundation
import HTTPTransport
import Orchestrator

/// `sandcastle bench dashboard [--json]`: issue 16's figures — a 500-step run page's time on
/// the server, its paint in headless Chromium, and one live page's CPU cost while runs progress
/// — with the API's JSON of the same run as the baseline.
struct BenchDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Dashboard figures: a 500-step run page (server time, paint in Chromium) and a live page's CPU while 50 runs progress.",
        discussion: """
            Starts `sandcastle serve` in this process (open mode, loopback, Docker behind it). Records a finished run \
            of a STEPS-step workflow (layers of ten, each step after two of the layer before) and times GET \
            /ui/runs/<id>?step=<last> (the whole page: DAG, timeline, steps table, the last step's panel from the run's events) over loopback, against GET /api/runs/<id> of the \
            same run as the baseline (run_page_ms, api_run_json_ms). Then headless Chromium (Debian's, --chromium) \
            loads the page and takes a screenshot, minus the same for about:blank: the page's own load, layout and \
            paint (paint_ms, median of 3). Last, RUNS runs of a three-step workflow run on Docker while one \
            browser-like client follows /ui/stream?scope=runs (the runs page): the CPU the stream spent working out and \
            rendering its updates, over the wall time (stream_cpu_percent_of_core), beside the whole server process's \
            CPU in the same window. Targets: run page ≤ 50 ms, paint ≤ 1 s, stream ≤ 1 % of a core.
            """)

    @Option(name: .long, help: "Steps of the recorded run (10-2000).")
    var steps = 500

    @Option(name: .long, help: "Timed GETs of each page (at least 10).")
    var iterations = 20

    @Option(name: .long, help: "Runs that progress while the live page follows them (1-200).")
    var runs = 50

    @Option(name: .long, help: "The Chromium to paint with.")
    var chromium = "/usr/bin/chromium"

    @Flag(name: .long, help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        if !(10...2000).contains(steps) { throw ValidationError("--steps must be 10-2000") }
        if iterations < 10 { throw ValidationError("--iterations must be at least 10 so p95 means something") }
        if !(1...200).contains(runs) { throw ValidationError("--runs must be 1-200") }
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw ValidationError("no Chromium at \(chromium): install Debian's `chromium` (scripts/test does) or give --chromium")
        }
    }

    func run() async throws {
        let progress: (String) -> Void = { message in if !json { Console.error("… \(message)") } }
        progress("starting sandcastle serve in this process")
        let server = try await BenchDashboardServer.start(maxConcurrentRuns: 4)
        do {
            let report = try await measure(server, progress: progress)
            await server.stop()
            Console.print(json ? report.json() : report.table())
        } catch {
            await server.stop()
            throw error
        }
    }

    private func measure(_ server: BenchDashboardServer, progress: (String) -> Void) async throws -> BenchDashboardReport {
        progress("recording a finished \(steps)-step run")
        let runID = try server.seedWideRun(steps: steps)
        let page = "/ui/runs/\(runID)?step=s\(steps - 1)"
        progress("GET \(page) and GET /api/runs/\(runID), \(iterations) times each")
        var pageTimes: [Duration] = []
        var apiTimes: [Duration] = []
        var pageBytes = 0
        for round in 0..<(iterations + 3) {
            let (pageTime, bytes) = try await server.time(page)
            let (apiTime, _) = try await server.time("/api/runs/\(runID)")
            // The first rounds warm caches (templates, the workflow file) and are not counted.
            guard round >= 3 else { continue }
            pageTimes.append(pageTime)
            apiTimes.append(apiTime)
            pageBytes = bytes
        }
        progress("painting the page in headless Chromium (3 times, and about:blank 3 times)")
        let paint = try ChromiumPaint(executable: chromium).pageMinusBlank(url: "http://127.0.0.1:\(server.port)\(page)")

        progress("\(runs) runs on Docker while a live runs page follows them")
        let live = try await LiveStreamLoad.measure(server, runs: runs)
        return BenchDashboardReport(
            steps: steps, pageBytes: pageBytes, page: LatencySummary(pageTimes), api: LatencySummary(apiTimes), paint: paint, live: live)
    }
}

/// What `sandcastle bench dashboard` prints.
struct BenchDashboardReport {
    let steps: Int
    let pageBytes: Int
    let page: LatencySummary
    let api: LatencySummary
    let paint: ChromiumPaint.Result
    let live: LiveStreamLoad.Result

    static let pageTargetMilliseconds = 50.0
    static let paintTargetMilliseconds = 1000.0
    static let streamTargetPercent = 1.0

    func table() -> String {
        [
            String(
                format: "run page, %d steps           p50 %7.1f ms  p95 %7.1f ms  (%d KB; target ≤ %.0f ms)", steps, page.p50, page.p95,
                pageBytes / 1024, Self.pageTargetMilliseconds),
            String(format: "baseline: /api/runs/<id> JSON p50 %7.1f ms  p95 %7.1f ms", api.p50, api.p95),
            String(
                format: "paint in headless Chromium   %7.0f ms  (page %.0f ms − about:blank %.0f ms; target ≤ %.0f ms)", paint.pageMinusBlank,
                paint.page, paint.blank, Self.paintTargetMilliseconds),
            String(
                format: "live runs page, %d runs      %7.3f %% of a core  (%d updates, %.2f s CPU over %.1f s; target ≤ %.0f %%)", live.runs,
                live.streamPercentOfCore, live.updates, live.streamCPUSeconds, live.wallSeconds, Self.streamTargetPercent),
            String(format: "whole server, same window    %7.1f %% of a core", live.serverPercentOfCore),
        ].joined(separator: "\n")
    }

    func json() -> String {
        func rounded(_ value: Double, _ places: Double = 100) -> Double { (value * places).rounded() / places }
        let object: [String: Any] = [
            "steps": steps,
            "run_page_ms": ["p50": rounded(page.p50), "p95": rounded(page.p95)],
            "run_page_bytes": pageBytes,
            "api_run_json_ms": ["p50": rounded(api.p50), "p95": rounded(api.p95)],
            "paint_ms": rounded(paint.pageMinusBlank),
            "chromium_page_ms": rounded(paint.page),
            "chromium_blank_ms": rounded(paint.blank),
            "stream_cpu_percent_of_core": rounded(live.streamPercentOfCore, 1000),
            "stream_updates": live.updates,
            "server_cpu_percent_of_core": rounded(live.serverPercentOfCore),
            "live_runs": live.runs,
            "live_wall_s": rounded(live.wallSeconds),
            "baseline": "GET /api/runs/<id> (the API's JSON of the same run), same server, same run",
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
