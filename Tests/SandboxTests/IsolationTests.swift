import DockerEngine
import Foundation
import Sandbox
import SandboxDocker
import Testing

@Suite("Hardening inside a real sandbox", .serialized, .timeLimit(.minutes(3)))
struct IsolationTests {
    static func statusField(_ status: String, _ name: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    @Test("no capabilities, seccomp filter mode, no_new_privs, uid 1000")
    func processCredentials() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let status = try await sandbox.run("cat /proc/self/status").text
            #expect(Self.statusField(status, "CapEff") == "0000000000000000")
            #expect(Self.statusField(status, "CapPrm") == "0000000000000000")
            #expect(Self.statusField(status, "CapBnd") == "0000000000000000")
            #expect(Self.statusField(status, "Seccomp") == "2")
            #expect(Self.statusField(status, "NoNewPrivs") == "1")
            #expect(try await sandbox.run("id -u; id -g").text == "1000\n1000\n")
            // PID 1 is our runner, under the same confinement.
            let runner = try await sandbox.run("cat /proc/1/status").text
            #expect(Self.statusField(runner, "Seccomp") == "2")
            #expect(Self.statusField(runner, "CapEff") == "0000000000000000")
            #expect(try await sandbox.run("cat /proc/1/comm").trimmed == "sandcastle-runn")
        }
    }

    @Test("sandbox code can neither read the runner's memory nor stop it")
    func runnerProtected() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let environ = try await sandbox.run("cat /proc/1/environ > /dev/null 2>&1; echo $?")
            #expect(environ.trimmed != "0")
            _ = try await sandbox.run("kill -TERM 1; kill -INT 1; sleep 0.3")
            #expect(try await sandbox.run("echo still serving").text == "still serving\n")
        }
    }

    @Test("the root filesystem is read-only; /tmp and /workspace are writable")
    func readOnlyRoot() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let etc = try await sandbox.run("echo x > /etc/sandcastle-probe 2>&1; echo $?")
            #expect(etc.text.contains("Read-only file system") || etc.text.contains("Permission denied"))
            #expect(!etc.text.hasSuffix("\n0\n"))
            let usr = try await sandbox.run("touch /usr/probe 2>&1")
            #expect(usr.exitCode != 0)
            #expect(try await sandbox.run("echo ok > /tmp/probe && cat /tmp/probe").text == "ok\n")
            #expect(try await sandbox.run("echo ok > /workspace/probe && cat /workspace/probe").text == "ok\n")
        }
    }

    @Test("network none: no interface but loopback, and outbound sockets fail")
    func noNetwork() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let interfaces = try await sandbox.run("ls /sys/class/net").text.split(separator: "\n")
            #expect(interfaces == ["lo"])
            // Loopback still works, and localhost resolves (agents run local servers and tests).
            let loopback = try await sandbox.run("getent hosts localhost >/dev/null && echo resolves")
            #expect(loopback.text == "resolves\n")
            let connect = try await sandbox.run("timeout 5 bash -c 'exec 3<>/dev/tcp/1.1.1.1/80' 2>&1; echo \"exit=$?\"")
            #expect(connect.text.contains("Network is unreachable"))
            #expect(!connect.text.contains("exit=0"))
        }
    }

    @Test("namespace and mount syscalls are refused by seccomp")
    func dangerousSyscallsBlocked() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let unshare = try await sandbox.run("unshare --user --map-root-user true 2>&1; echo \"exit=$?\"")
            #expect(unshare.text.contains("Operation not permitted"))
            let mount = try await sandbox.run("mount -t tmpfs none /tmp 2>&1; echo \"exit=$?\"")
            #expect(!mount.text.contains("exit=0"))
        }
    }

    @Test("the HostConfig sent to Docker carries every hardening setting")
    func hostConfigOnTheEngine() async throws {
        try await SandboxFixture.with { (sandbox: DockerSandbox) async throws in
            let backend = try await SandboxFixture.backend()
            let inspect = try await backend.docker.inspectContainer(id: sandbox.containerID)
            let host = try #require(inspect.hostConfig)
            #expect(host.capDrop == ["ALL"])
            #expect(host.capAdd == nil || host.capAdd == [])
            #expect(host.privileged == false)
            #expect(host.readonlyRootfs == true)
            #expect(host.securityOpt?.contains("no-new-privileges:true") == true)
            #expect(host.securityOpt?.contains { $0.hasPrefix("seccomp=") } == true)
            #expect(host.networkMode == "none")
            #expect(host.pidsLimit == sandbox.profile.pidsLimit)
            #expect(host.memory == sandbox.profile.memoryBytes)
            #expect(host.memorySwap == host.memory)
            #expect(host.nanoCpus == sandbox.profile.nanoCPUs)
            #expect(host.binds == nil || host.binds == [])
            #expect(host.tmpfs?["/tmp"]?.contains("size=") == true)
            #expect(host.tmpfs?["/run"]?.contains("size=") == true)
            #expect(inspect.config?.user == "1000:1000")
            #expect(inspect.config?.labels?["sandcastle.managed"] == "true")
            #expect(inspect.config?.labels?["sandcastle.sandbox"] == sandbox.id)
            let mounts = inspect.mounts ?? []
            #expect(mounts.count == 1)
            #expect(mounts.first?.destination == "/workspace")
            #expect(mounts.first?.type == .volume)
            #expect(!mounts.contains { ($0.source ?? "").contains("docker.sock") })
        }
    }
}
