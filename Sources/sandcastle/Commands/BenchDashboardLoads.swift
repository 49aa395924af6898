import ArgumentParser
import Dashboard
import Foundation
import HTTPTransport
import Orchestrator
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A page's paint in headless Chromium: a screenshot of the page, minus one of `about:blank`
/// (the browser's own start), median of three each.
struct ChromiumPaint {
    let executable: String

    struct Result {
        var page: Double
        var blank: Double
        var pageMinusBlank: Double { max(0, page - blank) }
    }

    func pageMinusBlank(url: String) throws -> Result {
        let blank = try (0..<3).map { _ in try screenshot("about:blank") }.sorted()[1]
        let page = try (0..<3).map { _ in try screenshot(url) }.sorted()[1]
        return Result(page: page, blank: blank)
    }

    /// Milliseconds from starting Chromium to its exit after writing the screenshot.
    private func screenshot(_ url: String) throws -> Double {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-bench-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let shot = profile.appendingPathComponent("shot.png").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)", "--window-size=1280,800",
            "--screenshot=\(shot)", url,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        process.waitUntilExit()
        let took = clock.now - start
        guard process.terminationStatus == 0, FileManager.default.fileExists(atPath: shot) else {
            throw ValidationError("\(executable) could not screenshot \(url) (exit \(process.terminationStatus))")
        }
        return took.milliseconds
    }
}

/// Runs progressing on Docker while one client follows the runs page's live stream: the CPU
/// the stream spent (``LiveStreamCost``) and the whole process's, over the same wall time.
enum LiveStreamLoad {
    struct Result {
        var runs: Int
        var updates: Int
        var streamCPUSeconds: Double
        var serverCPUSeconds: Double
        var wallSeconds: Double
        var streamPercentOfCore: Double { streamCPUSeconds / wallSeconds * 100 }
        var serverPercentOfCore: Double { serverCPUSeconds / wallSeconds * 100 }
    }

    static func measure(_ server: BenchDashboardServer, runs: Int) async throws -> Result {
        let stream = try await server.client.stream(
            HTTPRequest(method: .get, path: "/ui/stream?scope=runs", headers: ["Accept": "text/event-stream"], timeout: .seconds(3600)))
        guard stream.status == 200 else { throw ValidationError("the live stream answered \(stream.status)") }
        let updates = Atomic<Int>(0)
        let reader = Task {
            for try await chunk in stream.body {
                updates.add(String(decoding: chunk, as: UTF8.self).components(separatedBy: "event: replace").count - 1, ordering: .relaxed)
            }
        }
        let (cpu0, stream0, clock) = (processCPUSeconds(), LiveStreamCost.cpuSeconds, ContinuousClock())
        let start = clock.now
        var ids: [String] = []
        for _ in 0..<runs {
            ids.append(try await server.orchestrator.submit(RunSubmission(source: .named("live", version: nil), inputs: [:], tenant: nil)).runID)
        }
        for id in ids {
            _ = await server.orchestrator.queue.waitForTurnEnd(runID: id)
            guard let status = try? server.orchestrator.run(id: id).detail.run.status, status == .completed else {
                throw ValidationError("live run \(id) did not complete")
            }
        }
        // The last updates reach the stream within its coalescing interval.
        try await Task.sleep(for: .milliseconds(500))
        let wall = (clock.now - start).milliseconds / 1000
        let result = Result(
            runs: runs, updates: updates.load(ordering: .relaxed), streamCPUSeconds: LiveStreamCost.cpuSeconds - stream0,
            serverCPUSeconds: processCPUSeconds() - cpu0, wallSeconds: wall)
        stream.cancel()
        reader.cancel()
        guard result.updates >= runs else { throw ValidationError("the live stream sent \(result.updates) updates for \(runs) runs") }
        return result
    }

    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}
