import Foundation
import Testing

@testable import Server
@testable import ServerCore

/// The connection limits as settings: defaults, the three sources, and refused values.
@Suite struct ConnectionSettingsTests {
    static let keyed = ["SANDCASTLE_API_KEYS": "k"]

    @Test func defaultsSuitRealClients() {
        let configuration = ServerConfiguration()
        #expect(configuration.maxRequestHeadBytes == 65536)
        #expect(configuration.idleTimeoutSeconds == 60)
        #expect(configuration.requestHeadTimeoutSeconds == 20)
        #expect(configuration.requestBodyTimeoutSeconds == 30)
        #expect(configuration.maxConnectionsPerClient == 128)
        let limits = ConnectionLimits(configuration)
        #expect(limits.timeouts == .init(idle: .seconds(60), head: .seconds(20), body: .seconds(30)))
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sc-conn-\(UUID().uuidString).yaml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        max_request_head_bytes: 16384
        idle_timeout_seconds: 5
        request_head_timeout_seconds: 6
        request_body_timeout_seconds: 7
        max_connections_per_client: 8
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try ServerConfiguration.load(configFile: file, environment: Self.keyed, flags: .init())
        #expect(fromFile.maxRequestHeadBytes == 16384)
        #expect(fromFile.idleTimeoutSeconds == 5 && fromFile.requestHeadTimeoutSeconds == 6 && fromFile.requestBodyTimeoutSeconds == 7)
        #expect(fromFile.maxConnectionsPerClient == 8)

        let environment = Self.keyed.merging([
            "SANDCASTLE_MAX_REQUEST_HEAD_BYTES": "32768", "SANDCASTLE_IDLE_TIMEOUT": "1.5",
            "SANDCASTLE_REQUEST_HEAD_TIMEOUT": "2.5", "SANDCASTLE_REQUEST_BODY_TIMEOUT": "3.5",
            "SANDCASTLE_MAX_CONNECTIONS_PER_CLIENT": "9",
        ]) { $1 }
        var flags = ServerConfiguration.Overrides()
        flags.requestBodyTimeoutSeconds = 45
        flags.maxConnectionsPerClient = 200
        let layered = try ServerConfiguration.load(configFile: file, environment: environment, flags: flags)
        #expect(layered.maxRequestHeadBytes == 32768)
        #expect(layered.idleTimeoutSeconds == 1.5 && layered.requestHeadTimeoutSeconds == 2.5)
        #expect(layered.requestBodyTimeoutSeconds == 45)
        #expect(layered.maxConnectionsPerClient == 200)
    }

    @Test(arguments: [
        ("SANDCASTLE_IDLE_TIMEOUT", "0", "idle_timeout_seconds"),
        ("SANDCASTLE_REQUEST_HEAD_TIMEOUT", "-1", "request_head_timeout_seconds"),
        ("SANDCASTLE_REQUEST_BODY_TIMEOUT", "soon", "SANDCASTLE_REQUEST_BODY_TIMEOUT"),
        ("SANDCASTLE_REQUEST_BODY_TIMEOUT", "86401", "request_body_timeout_seconds"),
        ("SANDCASTLE_MAX_REQUEST_HEAD_BYTES", "100", "max_request_head_bytes"),
        ("SANDCASTLE_MAX_CONNECTIONS_PER_CLIENT", "0", "max_connections_per_client"),
    ])
    func aBadValueIsRefusedByName(variable: String, value: String, named: String) {
        #expect {
            try ServerConfiguration.load(configFile: nil, environment: Self.keyed.merging([variable: value]) { $1 }, flags: .init())
        } throws: { error in
            let error = error as? ServerError
            return error?.code == .invalidConfiguration && error?.message.contains(named) == true && error?.message.contains(value) == true
        }
    }
}
