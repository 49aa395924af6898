import HTTPTransport
import Testing

@testable import DockerEngine

@Suite struct DockerHostTests {
    @Test func defaultsToTheLocalSocket() throws {
        let host = try DockerHost.fromEnvironment([:])
        #expect(host.kind == .unixSocket(path: "/var/run/docker.sock"))
        #expect(host.description == "unix:///var/run/docker.sock")
        #expect(host.pinnedAPIVersion == nil)
    }

    @Test func unixSocketFromDockerHost() throws {
        let host = try DockerHost.fromEnvironment(["DOCKER_HOST": "unix:///run/user/1000/docker.sock", "DOCKER_API_VERSION": "1.43"])
        #expect(host.kind == .unixSocket(path: "/run/user/1000/docker.sock"))
        #expect(host.pinnedAPIVersion == "1.43")
    }

    @Test func plainTCP() throws {
        let host = try DockerHost.fromEnvironment(["DOCKER_HOST": "tcp://10.0.0.5:2375"])
        #expect(host.kind == .tcp(host: "10.0.0.5", port: 2375, tls: nil))
        #expect(host.endpoint.description == "http://10.0.0.5:2375")
        #expect(host.description == "tcp://10.0.0.5:2375")
    }

    @Test func tlsWithVerification() throws {
        let host = try DockerHost.fromEnvironment([
            "DOCKER_HOST": "tcp://docker.example:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/nonexistent-certs",
        ])
        guard case .tcp(let name, let port, let tls?) = host.kind else {
            Issue.record("expected TLS, got \(host.kind)")
            return
        }
        #expect(name == "docker.example")
        #expect(port == 2376)
        #expect(tls.verifyPeer && tls.verifyHost)
        #expect(host.endpoint.description == "https://docker.example:2376")
    }

    @Test func certPathWithoutVerifyMeansTLSWithoutVerification() throws {
        let host = try DockerHost.fromEnvironment(["DOCKER_HOST": "tcp://h", "DOCKER_CERT_PATH": "/certs"])
        guard case .tcp(_, let port, let tls?) = host.kind else {
            Issue.record("expected TLS")
            return
        }
        #expect(port == 2376)
        #expect(!tls.verifyPeer)
    }

    @Test func unsupportedSchemesAreRejected() {
        #expect(throws: DockerError.self) { try DockerHost.fromEnvironment(["DOCKER_HOST": "ssh://user@host"]) }
        #expect(throws: DockerError.self) { try DockerHost.fromEnvironment(["DOCKER_HOST": "unix://relative.sock"]) }
        #expect(throws: DockerError.self) { try DockerHost.fromEnvironment(["DOCKER_HOST": "tcp://host:notaport"]) }
    }
}
