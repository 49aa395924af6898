import Foundation
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

@Suite struct ConfigurationTests {
    @Test func defaultsAreLoopbackPort8080AndDataFolder() {
        let configuration = ServerConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databasePath.hasSuffix("data/sandcastle.sqlite"))
    }

    @Test func environmentThenFlagsOverrideTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sc-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let yaml = folder.appendingPathComponent("serve.yaml").path
        try "port: 9000\nhost: 127.0.0.2\nmax_sandboxes: 5\napi_keys: [from-file]\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        var flags = ServerConfiguration.Overrides()
        flags.port = 9100
        let configuration = try ServerConfiguration.load(
            configFile: yaml, environment: ["SANDCASTLE_PORT": "9050", "SANDCASTLE_API_KEYS": "a, b", "SANDCASTLE_DATA_DIR": "/tmp/x"],
            flags: flags)
        #expect(configuration.port == 9100)
        #expect(configuration.host == "127.0.0.2")
        #expect(configuration.maxSandboxes == 5)
        #expect(configuration.dataDirectory == "/tmp/x")
        let keys = APIKeyStore(digests: configuration.apiKeyDigests)
        #expect(keys.authenticate("from-file") != nil)
        #expect(keys.authenticate("a") != nil && keys.authenticate("b") != nil)
        #expect(keys.authenticate("c") == nil)

        let json = folder.appendingPathComponent("serve.json").path
        try #"{"open": true, "port": 0}"#.write(toFile: json, atomically: true, encoding: .utf8)
        let open = try ServerConfiguration.load(configFile: json, environment: [:], flags: .init())
        #expect(open.openMode && open.port == 0)
    }

    @Test func openModeIsRefusedOffLoopbackAndKeylessIsOpenOnlyOnLoopback() throws {
        var flags = ServerConfiguration.Overrides()
        flags.openMode = true
        flags.host = "0.0.0.0"
        #expect(throws: ServerError.self) { try ServerConfiguration.load(configFile: nil, environment: [:], flags: flags) }
        #expect(throws: ServerError.self) {
            try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_OPEN": "1", "SANDCASTLE_HOST": "10.1.2.3"], flags: .init())
        }
        // AUTH_REQUIRED defaults to off only on loopback with no key configured; asked for, keys are required.
        let keyless = try ServerConfiguration.load(configFile: nil, environment: [:], flags: .init())
        #expect(keyless.openMode && keyless.openByDefault)
        #expect(throws: ServerError.self) { try ServerConfiguration.load(configFile: nil, environment: ["AUTH_REQUIRED": "true"], flags: .init()) }
        #expect(throws: ServerError.self) { try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_HOST": "0.0.0.0"], flags: .init()) }
        let keyed = try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_API_KEYS": "k-0123456789"], flags: .init())
        #expect(!keyed.openMode && !keyed.openByDefault)
        var withKey = ServerConfiguration.Overrides()
        withKey.apiKeys = ["k-0123456789"]
        #expect(!(try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_OPEN": "0"], flags: withKey)).openMode)
        #expect(throws: ServerError.self) {
            try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_PORT": "eighty"], flags: .init())
        }
        let loopback = try ServerConfiguration.load(configFile: nil, environment: ["SANDCASTLE_OPEN": "1"], flags: .init())
        #expect(loopback.openMode)
        #expect(ServerConfiguration.isLoopback("127.0.0.1") && ServerConfiguration.isLoopback("::1"))
        #expect(!ServerConfiguration.isLoopback("0.0.0.0") && !ServerConfiguration.isLoopback("127.0.0.1.evil"))
    }

    @Test func keysAreKeptHashedAndComparedWholly() {
        let digest = APIKeyStore.digest("secret")
        #expect(digest.count == 32)
        let store = APIKeyStore(digests: [digest])
        #expect(store.authenticate("secret") == APIKeyStore.keyID(digest))
        #expect(store.authenticate("secreT") == nil)
        #expect(store.authenticate("") == nil)
        #expect(APIKeyStore.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!APIKeyStore.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!APIKeyStore.constantTimeEqual([1, 2], [1, 2, 3]))
    }
}
