import ArgumentParser
import DockerEngine
import Foundation
import Sandbox

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the engine, API version, images, seccomp and cgroup support; print the fix for each failure.")

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
        if failures > 0 {
            Console.print("\(failures) problem(s) found")
            throw ExitCode(1)
        }
        Console.print("all checks passed")
    }
}
