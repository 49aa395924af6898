import ArgumentParser
import DockerEngine
import Engine
import EngineService
import Foundation
import Sandbox

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check the engine, API version, images, seccomp and cgroup support, and what killed runs left behind; print the fix for each failure."
    )

    @OptionGroup var options: DataDirectoryOptions

    @Flag(name: .long, help: "Remove the sandboxes of runs whose process is gone (every data folder's, on this host).")
    var clean = false

    func run() async throws {
        var failures = 0
        func report(_ ok: Bool, _ what: String, fix: String? = nil) {
            Console.print("\(ok ? "✓" : "✗") \(what)")
            if !ok {
                failures += 1
                if let fix { Console.print("    fix: \(fix)") }
            }
        }

        let host = try DockerHost.fromEnvironment()
        let docker: DockerClient
        do {
            docker = try await DockerClient.connect(to: host)
        } catch {
            report(
                false, "Docker engine at \(host): \(error)",
                fix: "start the engine (`dockerd &` or `systemctl start docker`), or set DOCKER_HOST; ./scripts/setup does both")
            throw ExitCode(1)
        }
        let version = try await docker.version()
        report(true, "Docker engine \(version.version) at \(host), API \(try await docker.apiVersion()) (engine max \(version.apiVersion))")

        let info = try await docker.info()
        let security = info.securityOptions ?? []
        report(
            security.contains { $0.contains("seccomp") }, "seccomp supported by the engine (\(security.joined(separator: "; ")))",
            fix: "use a kernel and engine built with seccomp (libseccomp); Docker from Debian's docker.io has it")
        report(
            info.memoryLimit ?? false, "cgroup memory limits (cgroup v\(info.cgroupVersion ?? "?"), driver \(info.cgroupDriver ?? "?"))",
            fix: "enable the memory cgroup controller (kernel cmdline cgroup_enable=memory)")
        report(info.pidsLimit ?? false, "cgroup pids limits", fix: "enable the pids cgroup controller")
        if info.swapLimit == false {
            Console.print("  note: swap limits unsupported; MemorySwap=Memory is then not enforced by the kernel")
        }

        do {
            let catalog = try ProfileCatalog()
            for name in ProfileCatalog.shippedNames {
                let profile = try catalog.profile(named: name)
                report(true, "isolation profile '\(name)' (seccomp \(profile.seccompPath))")
            }
        } catch {
            report(false, "isolation profiles: \(error)", fix: "run from a Sandcastle checkout or set SANDCASTLE_HOME")
        }

        for name in ImageCatalog.shipped {
            let reference = ImageCatalog.reference(for: name)
            let present = (try? await docker.inspectImage(reference)) != nil
            report(present, "image \(reference)", fix: "sandcastle images build (or ./scripts/setup)")
        }
        failures += await leftovers()
        if failures > 0 {
            Console.print("\(failures) problem(s) found")
            throw ExitCode(1)
        }
        Console.print("all checks passed")
    }

    /// Runs whose process died mid-run (in the data folder) and the sandboxes such processes
    /// left (on this host, whichever data folder): reported, and with `--clean` the sandboxes
    /// removed. Returns the problems still standing.
    private func leftovers() async -> Int {
        var problems = 0
        let settings: EngineSettings
        do {
            settings = try EngineSettings.load(dataDirectory: options.directory)
        } catch {
            Console.print("✗ engine settings: \(error)")
            return 1
        }
        if FileManager.default.fileExists(atPath: settings.databasePath) {
            do {
                let orphaned = try await RunService.open(settings, sandboxes: .none).runs(RunQuery(statuses: [.running, .pending], limit: 10_000))
                    .filter(\.isOrphaned)
                if orphaned.isEmpty {
                    Console.print("✓ no orphaned workflow runs in \(settings.databasePath)")
                } else {
                    problems += 1
                    Console.print(
                        "✗ \(orphaned.count) orphaned workflow run(s) in \(settings.databasePath) (their process is gone): "
                            + orphaned.map(\.id).joined(separator: ", "))
                    Console.print("    fix: sandcastle runs resume --all (continue them), or sandcastle runs cancel ID (end one)")
                }
            } catch {
                problems += 1
                Console.print("✗ workflow runs in \(settings.databasePath): \(error)")
            }
        }
        do {
            let sweep = try await RunService.abandonedSandboxes(settings, removing: clean)
            let runs = sweep.byRun.keys.sorted().map { $0.isEmpty ? "(no run)" : $0 }.joined(separator: ", ")
            if sweep.count == 0 {
                Console.print("✓ no sandboxes left by killed runs")
            } else if clean {
                Console.print("✓ removed \(sweep.count) sandbox(es) left by killed runs (\(runs))")
            } else {
                problems += 1
                Console.print("✗ \(sweep.count) sandbox(es) left by killed runs (\(runs))")
                Console.print("    fix: sandcastle doctor --clean (their runs stay resumable)")
            }
            for problem in sweep.problems {
                problems += 1
                Console.print("✗ \(problem)")
            }
        } catch {
            problems += 1
            Console.print("✗ sandboxes left by killed runs: \(error)")
        }
        return problems
    }
}
