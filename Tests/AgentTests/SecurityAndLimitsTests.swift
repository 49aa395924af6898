import Agent
import Foundation
import JSONValues
import ModelProviders
import Sandbox
import TestSupport
import Testing

@Suite("Keys stay on the host; output caps hold; WebFetch runs inside", .serialized, .timeLimit(.minutes(5)))
struct SecurityAndLimitsTests {
    @Test("the provider's key never reaches the sandbox: the agent's own env, /proc/*/environ and file search do not find it")
    func keysNeverEnterTheSandbox() async throws {
        let key = "sk-ant-test-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        // Present in the host process too: the sandbox must not inherit the host's environment.
        setenv("SANDCASTLE_AGENT_TEST_PROVIDER_KEY", key, 1)
        defer { unsetenv("SANDCASTLE_AGENT_TEST_PROVIDER_KEY") }
        try await AgentFixture.withSandbox(environment: ["PROBE_MARKER": "visible-in-sandbox"]) { sandbox in
            // The grep pattern is split so the command itself does not carry the prefix it looks for.
            let provider = ScriptedProvider(
                [
                    .tools(
                        call("env", "Bash", ["command": "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"]),
                        call(
                            "files", "Bash",
                            [
                                "command":
                                    "grep -rIl -e 'sk-ant''-test' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null; echo searched"
                            ])),
                    .text("no key here"),
                ], apiKey: SecretValue(key))
            let events = EventLog()
            let loop = AgentLoop(
                provider: provider, configuration: AgentConfiguration(model: "sonnet"), tools: try .standard(network: false), sandbox: sandbox,
                events: events.sink)
            let result = await loop.run(prompt: "look for keys")
            #expect(result.subtype == "success")

            let environment = try #require(result.toolResult("env")).content
            #expect(environment.contains("PROBE_MARKER=visible-in-sandbox"), "the probe must see the sandbox's environment")
            #expect(environment.contains("PATH="))
            let search = try #require(result.toolResult("files")).content
            #expect(search.hasSuffix("searched\n"), "the search must have run: \(search)")
            for output in [environment, search] {
                #expect(!output.contains(key))
                #expect(!output.contains("sk-ant-test"))
            }
            // Nor anywhere the run reports: events, transcript, outcome.
            let everything = "\(events.all) \(result.transcript) \(result.outcome) \(provider)"
            #expect(!everything.contains(key))
            #expect("\(provider.apiKey)" == "[redacted]")
        }
    }

    @Test("Read and Bash of a 200 MiB file pull a few hundred KiB to the host, not the file")
    func outputCapOnHugeFile() async throws {
        try await AgentFixture.withSandbox { docker in
            let made = try await docker.run(arguments: [
                "bash", "-c", "yes 'a line of text that repeats' | head -c 200M > /workspace/huge.txt; stat -c %s /workspace/huge.txt",
            ])
            #expect(made.stdoutText == "209715200\n")
            let sandbox = MeteredSandbox(docker)
            let limits = ToolLimits()
            let rssBefore = residentBytes()

            let read = try await AgentFixture.run(ReadTool(), ["file_path": "/workspace/huge.txt"], in: sandbox)
            #expect(read.content.hasPrefix("     1\ta line of text that repeats\n"))
            #expect(read.content.hasSuffix("[lines 1-2000 shown; the file goes on: read more with offset 2001]"))
            let afterRead = sandbox.bytesReceived
            #expect(afterRead < 4 * 1024 * 1024, "Read pulled \(afterRead) bytes")

            let far = try await AgentFixture.run(ReadTool(), ["file_path": "/workspace/huge.txt", "offset": 8_000_000, "limit": 2], in: sandbox)
            #expect(far.content.contains("stopped after reading") && far.content.contains("sed -n"))
            let afterFar = sandbox.bytesReceived - afterRead
            #expect(afterFar < Int(limits.maxScanBytes) + 4 * 1024 * 1024, "the far Read pulled \(afterFar) bytes")

            let cat = try await AgentFixture.run(BashTool(), ["command": "cat /workspace/huge.txt"], in: sandbox)
            let afterCat = sandbox.bytesReceived - afterRead - afterFar
            // The total counts the whole output: the file, plus the few bytes of the directory report.
            #expect(cat.content.contains("[output truncated: 2097152"), "\(cat.content.suffix(200))")
            #expect(cat.content.hasSuffix("bytes total; use offset/limit or head to see the rest]"))
            #expect(afterCat <= Int(limits.maxReadBytes) + 256 * 1024, "cat pulled \(afterCat) bytes")

            // What the model gets is capped again at 30,000 characters by the loop.
            let provider = ScriptedProvider([.tools(call("cat", "Bash", ["command": "cat /workspace/huge.txt"])), .text("ok")])
            let loop = AgentLoop(provider: provider, configuration: AgentConfiguration(model: "m"), tools: try .standard(network: false), sandbox: sandbox)
            let result = await loop.run(prompt: "cat it")
            let answer = try #require(result.toolResult("cat"))
            #expect(answer.content.count <= limits.maxResultCharacters && answer.content.contains("output truncated"))
            let rssGrowth = residentBytes() - rssBefore
            // The bytes pulled above are the proof (counted at the channel); the process's resident
            // memory is only reported: it is the whole test process's, which the suite's other
            // tests share and grow at the same time.
            print("200 MiB file: Read pulled \(afterRead) B, far Read \(afterFar) B, cat \(afterCat) B; host RSS grew \(rssGrowth / 1024) KiB")
        }
    }

    @Test("WebFetch fetches from inside the sandbox (a server on its own loopback) and returns the page's text")
    func webFetch() async throws {
        try await AgentFixture.withSandbox(image: "python") { sandbox in
            let page = "<html><head><title>Docs</title><script>alert(1)</script></head><body><h2>Install</h2><p>Run <code>make</code>&amp;go.</p></body></html>"
            _ = try await sandbox.writeFile("/workspace/site/index.html", bytes: Array(page.utf8))
            _ = try await sandbox.writeFile("/workspace/site/data.json", bytes: Array("{\"ok\": true}".utf8))
            _ = try await sandbox.run(
                "cd /workspace/site && nohup python3 -m http.server 8765 --bind 127.0.0.1 >/tmp/http.log 2>&1 &", timeout: .seconds(10))
            let up = try await eventually(.seconds(30)) {
                try await AgentFixture.shell(sandbox, "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8765/ || true") == "200"
            }
            #expect(up, "the server in the sandbox did not come up")

            let tools = try ToolSet.standard(network: true)
            let fetch = try #require(tools.tool(named: "WebFetch"))
            let html = try await AgentFixture.run(fetch, ["url": "http://127.0.0.1:8765/index.html", "prompt": "how to install?"], in: sandbox)
            #expect(!html.isError)
            #expect(html.content.hasPrefix("URL: http://127.0.0.1:8765/index.html\nHTTP 200 text/html"))
            #expect(html.content.contains("## Install") && html.content.contains("Run make&go.") && !html.content.contains("alert"))

            let json = try await AgentFixture.run(fetch, ["url": "http://127.0.0.1:8765/data.json"], in: sandbox)
            #expect(json.content.hasSuffix("\n\n{\"ok\": true}") && json.content.contains("application/json"))

            let missing = try await AgentFixture.run(fetch, ["url": "http://127.0.0.1:8765/nope"], in: sandbox)
            #expect(missing.isError && missing.content.contains("HTTP 404"))
            let refused = try await AgentFixture.run(fetch, ["url": "http://127.0.0.1:1/"], in: sandbox)
            #expect(refused.isError && refused.content.contains("Fetching http://127.0.0.1:1/ failed"), "\(refused.content)")
            let scheme = try await AgentFixture.run(fetch, ["url": "file:///etc/passwd"], in: sandbox)
            #expect(scheme.isError && scheme.content.contains("http://"))
        }
    }

    @Test("agent_tool_roundtrip_ms: a Bash `true` from the tool call arriving to the next request leaving")
    func toolRoundTrip() async throws {
        try await AgentFixture.withSandbox { sandbox in
            func milliseconds(_ samples: [Duration]) -> (p50: Double, p95: Double) {
                let sorted = samples.sorted().map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }
                return (sorted[sorted.count / 2], sorted[sorted.count * 95 / 100])
            }
            let roundTrip = try await ToolRoundTrip.measure(sandbox: sandbox, iterations: 200)
            #expect(roundTrip.count == 200)
            let process = try await ToolRoundTrip.measureProcess(sandbox: sandbox, iterations: 200)
            let (p50, p95) = milliseconds(roundTrip)
            let (processP50, _) = milliseconds(process)

            // The baseline of issue 13 §9: the same command as one `docker exec` per tool call.
            var docker: [Double] = []
            let containers = try await AgentFixture.backend().docker.listContainers(
                all: false, filters: .labels(["\(SandcastleLabels.sandbox)=\(sandbox.id)"]))
            let container = try #require(containers.first?.id)
            for _ in 0..<20 {
                let start = ContinuousClock.now
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/docker")
                process.arguments = ["exec", container, "bash", "-c", "true"]
                try process.run()
                try await SendableProcess(process).waitUntilExit()
                let elapsed = ContinuousClock.now - start
                docker.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
            }
            docker.sort()
            print(
                String(
                    format:
                        "agent_tool_roundtrip_ms p50 %.3f p95 %.3f (n=200), of which the bash -c true process p50 %.3f; docker exec per call p50 %.1f ms (n=20); ratio %.0fx",
                    p50, p95, processP50, docker[10], docker[10] / p50))
            #expect(p50 > 0)
        }
    }
}
