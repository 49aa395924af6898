import Foundation
import Store
import Synchronization
import Testing

@testable import Server
@testable import ServerCore

/// The key system without HTTP: key format, HMAC with the pepper, lookup, expiry, CIDR
/// allowlists (IPv4 and IPv6, parsed here), rotation with a grace period, `last_used_at`,
/// `ADMIN_API_KEY`, and the start-up settings.
@Suite struct APIKeyServiceTests {
    static let pepper = "pepper-0123456789abcdef"

    /// A clock the test moves by hand.
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    /// The code `body` was refused with; nil when it was not refused (or not with a ``ServerError``).
    static func refusal(_ body: () throws -> Any) -> ServerError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? ServerError)?.code
        }
    }

    static func service(_ repository: any APIKeyRepository = InMemoryAPIKeyRepository(), clock: Clock = Clock()) throws -> APIKeyService {
        APIKeyService(
            configured: APIKeyStore(digests: [APIKeyStore.digest("configured-key-0123456789")]), repository: repository,
            pepper: try APIKeyPepper(pepper, source: "test"), now: { clock.now })
    }

    @Test func keysAreScPlus32RandomBytesInBase64URL() {
        let keys = (0..<50).map { _ in APIKeyFormat.generate() }
        #expect(Set(keys).count == 50)
        for key in keys {
            #expect(key.hasPrefix("sc_") && key.count == 3 + 43, "\(key.count)")
            #expect(key.dropFirst(3).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
        #expect(APIKeyFormat.prefix(of: "sc_abcdefgh") == "sc_abcde")
        #expect(APIKeyFormat.base64URL([0xFB, 0xFF, 0xBF]) == "-_-_")
    }

    @Test func theHashIsAnHMACWithThePepperNotAPlainDigest() throws {
        let pepper = try APIKeyPepper(Self.pepper, source: "test")
        // Computed independently: python3 -c "import hmac; print(hmac.new(b'pepper-0123456789abcdef', b'sc_key', 'sha256').hexdigest())"
        let hash = APIKeyFormat.hash("sc_key", pepper: pepper)
        #expect(hash == "3b087a5f76e1d82b4169d47e295058f6c32b29d3f3a1839a4077a54dc9fa5ddd")
        #expect(hash == APIKeyFormat.hash("sc_key", pepper: try APIKeyPepper(Self.pepper + "\n", source: "file, trimmed")))
        #expect(hash != APIKeyFormat.hash("sc_key", pepper: try APIKeyPepper(Self.pepper + "x", source: "other")))
        #expect(hash != APIKeyStore.digest("sc_key").map { String(format: "%02x", $0) }.joined())
        #expect(throws: ServerError.self) { try APIKeyPepper("short", source: "API_KEY_PEPPER") }
        #expect("\(pepper)" == "APIKeyPepper(redacted)" && !String(reflecting: pepper).contains(Self.pepper))
        #expect(APIKeyStore.constantTimeEqual(Array(hash.utf8), Array(hash.utf8)))
        #expect(!APIKeyStore.constantTimeEqual(Array(hash.utf8), Array(hash.dropLast().utf8) + [UInt8(ascii: "x")]))
    }

    @Test func storedKeysAuthenticateWithTheirTenantAndRestrictions() throws {
        let repository = InMemoryAPIKeyRepository()
        let keys = try Self.service(repository)
        let made = try keys.create(.init(name: "ci", tenantID: "acme", maxCostPerRunUSD: 2.5, allowedWorkflows: ["build"]))
        let stored = try #require(try repository.key(id: made.record.id))
        #expect(stored.keyHash != made.key && !stored.keyHash.contains(made.key.dropFirst(8)) && stored.keyPrefix == String(made.key.prefix(8)))
        let caller = try keys.authenticate(made.key, clientAddress: "127.0.0.1")
        #expect(
            caller == APICaller(keyID: made.record.id, tenantID: "acme", allowedWorkflows: ["build"], maxCostPerRunUSD: 2.5, keyPrefix: made.record.keyPrefix))
        #expect(!caller.isAdmin && caller.mayRun(workflow: "build") && !caller.mayRun(workflow: "deploy"))
        let configured = try keys.authenticate("configured-key-0123456789", clientAddress: nil)
        #expect(configured.isAdmin && configured.keyID?.hasPrefix("key_") == true)
        let changedLast = String(made.key.dropLast()) + (made.key.last == "A" ? "B" : "A")
        for wrong in [made.key + "x", changedLast, "sc_", "", String(made.key.prefix(8))] {
            #expect(Self.refusal { try keys.authenticate(wrong, clientAddress: nil) } == .unauthorized)
        }
        try keys.deactivate(id: made.record.id, tenant: "acme")
        #expect(Self.refusal { try keys.authenticate(made.key, clientAddress: nil) } == .unauthorized)
        #expect(throws: ServerError.self) { try keys.deactivate(id: made.record.id, tenant: nil) }
    }

    @Test func aTenantManagesOnlyItsTenantsKeys() throws {
        let keys = try Self.service()
        let a = try keys.create(.init(name: "a", tenantID: "a"))
        _ = try keys.create(.init(name: "b", tenantID: "b"))
        _ = try keys.create(.init(name: "admin"))
        #expect(try keys.list(tenant: "a", limit: 50, offset: 0).keys.map(\.name) == ["a"])
        #expect(try keys.list(tenant: nil, limit: 50, offset: 0).total == 3)
        #expect(throws: ServerError.self) { try keys.deactivate(id: a.record.id, tenant: "b") }
        #expect(try keys.list(tenant: nil, limit: 2, offset: 2).keys.count == 1)
    }

    @Test func anExpiredKeyIsRefusedWithKeyExpired() throws {
        let clock = Clock()
        let keys = try Self.service(clock: clock)
        let made = try keys.create(.init(name: "short", expiresAt: clock.now.addingTimeInterval(60)))
        #expect(try keys.authenticate(made.key, clientAddress: nil).keyID == made.record.id)
        clock.advance(60)
        let error = #expect(throws: ServerError.self) { try keys.authenticate(made.key, clientAddress: nil) }
        #expect(error?.code == .keyExpired && error?.code.status == .unauthorized)
        #expect(error?.message.contains(made.key) == false)
    }

    @Test func rotationKeepsTheOldKeyForTheGraceThenExpiresIt() throws {
        let clock = Clock()
        let keys = try Self.service(clock: clock)
        let old = try keys.create(.init(name: "deploy", tenantID: "t", maxCostPerRunUSD: 1, allowedWorkflows: ["w"], allowedCIDRs: ["127.0.0.0/8"]))
        let rotated = try keys.rotate(id: old.record.id, graceHours: 2)
        #expect(rotated.record.rotatedFrom == old.record.id && rotated.record.tenantID == "t" && rotated.record.allowedWorkflows == ["w"])
        #expect(rotated.record.allowedCIDRs == ["127.0.0.0/8"] && rotated.key != old.key)
        #expect(rotated.old.expiresAt == clock.now.addingTimeInterval(7200))
        clock.advance(7199)
        #expect(try keys.authenticate(old.key, clientAddress: "127.0.0.1").keyID == old.record.id, "works during the grace")
        clock.advance(1)
        #expect(Self.refusal { try keys.authenticate(old.key, clientAddress: "127.0.0.1") } == .keyExpired)
        #expect(try keys.authenticate(rotated.key, clientAddress: "127.0.0.1").tenantID == "t")
        // Default grace, and a second rotation never pushes an expiry later.
        let again = try keys.rotate(id: rotated.record.id, graceHours: nil)
        #expect(again.old.expiresAt == clock.now.addingTimeInterval(24 * 3600))
        let third = try keys.rotate(id: rotated.record.id, graceHours: 48)
        #expect(third.old.expiresAt == again.old.expiresAt)
        #expect(throws: ServerError.self) { try keys.rotate(id: again.record.id, graceHours: 8761) }
        let immediate = try keys.rotate(id: again.record.id, graceHours: 0)
        #expect(Self.refusal { try keys.authenticate(again.key, clientAddress: "127.0.0.1") } == .keyExpired)
        #expect(try keys.authenticate(immediate.key, clientAddress: "::ffff:127.0.0.1").keyID == immediate.record.id)
    }

    @Test func lastUsedAtMovesAtMostEveryFiveMinutes() throws {
        let clock = Clock()
        let repository = InMemoryAPIKeyRepository()
        let keys = try Self.service(repository, clock: clock)
        let made = try keys.create(.init(name: "k"))
        #expect(try repository.key(id: made.record.id)?.lastUsedAt == nil)
        let first = clock.now
        _ = try keys.authenticate(made.key, clientAddress: nil)
        #expect(try repository.key(id: made.record.id)?.lastUsedAt == first)
        clock.advance(299)
        _ = try keys.authenticate(made.key, clientAddress: nil)
        #expect(try repository.key(id: made.record.id)?.lastUsedAt == first, "not within 5 minutes")
        clock.advance(1)
        _ = try keys.authenticate(made.key, clientAddress: nil)
        #expect(try repository.key(id: made.record.id)?.lastUsedAt == clock.now)
    }

    @Test func theCIDRAllowlistChecksTheClientAddress() throws {
        let keys = try Self.service()
        let made = try keys.create(.init(name: "office", allowedCIDRs: ["10.0.0.0/8", "2001:db8::/32"]))
        #expect(try keys.authenticate(made.key, clientAddress: "10.20.30.40").keyID == made.record.id)
        #expect(try keys.authenticate(made.key, clientAddress: "2001:db8:ffff::1").keyID == made.record.id)
        for outside in ["127.0.0.1", "11.0.0.1", "2001:db9::1", "::1", nil] {
            let error = #expect(throws: ServerError.self) { try keys.authenticate(made.key, clientAddress: outside) }
            #expect(error?.code == .ipBlocked && error?.code.status == .forbidden, "\(outside ?? "nil")")
        }
        #expect(throws: ServerError.self) { try keys.create(.init(name: "bad", allowedCIDRs: ["10.0.0.0/33"])) }
        let widened = try keys.setAllowlist(id: made.record.id, cidrs: ["127.0.0.1", "::1/128"])
        #expect(widened.allowedCIDRs == ["127.0.0.1/32", "0:0:0:0:0:0:0:1/128"])
        #expect(try keys.authenticate(made.key, clientAddress: "127.0.0.1").keyID == made.record.id)
        #expect(try keys.authenticate(made.key, clientAddress: "::1").keyID == made.record.id)
        _ = try keys.setAllowlist(id: made.record.id, cidrs: [])
        #expect(try keys.authenticate(made.key, clientAddress: "203.0.113.9").keyID == made.record.id, "empty: anywhere")
    }

    @Test func cidrBlocksParseAndMatchIPv4AndIPv6() throws {
        let cases: [(String, String, Bool)] = [
            ("192.168.1.0/24", "192.168.1.255", true), ("192.168.1.0/24", "192.168.2.0", false), ("0.0.0.0/0", "8.8.8.8", true),
            ("10.1.2.3", "10.1.2.3", true), ("10.1.2.3", "10.1.2.4", false), ("172.16.0.0/12", "172.31.255.255", true),
            ("172.16.0.0/12", "172.32.0.0", false), ("10.0.0.0/8", "::ffff:10.9.9.9", true), ("::ffff:10.0.0.0/104", "10.1.1.1", false),
            ("2001:db8::/32", "2001:0db8:0:0::1", true), ("2001:db8::/33", "2001:db8:8000::1", false), ("::/0", "fe80::1%eth0", true),
            ("fe80::/10", "febf::1", true), ("fe80::/10", "fec0::1", false), ("::1", "::1", true), ("::1", "::2", false),
            ("64:ff9b::/96", "64:ff9b::192.0.2.33", true), ("[2001:db8::1]", "2001:db8::1", true), ("10.0.0.0/8", "2001:db8::1", false),
        ]
        for (block, address, inside) in cases {
            let parsed = try #require(CIDRBlock(block), "\(block)")
            #expect(parsed.contains(address: address) == inside, "\(block) ∋ \(address)")
        }
        for invalid in [
            "", "10.0.0", "10.0.0.256", "10.0.0.01", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/33", "::/129", "1::2::3", "12345::", "g::1",
            "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8:9", "10.0.0.0/8/8", "10.0.0.0 /8x", "١٠.0.0.0/8", "10.0.0.0/٨", "a.b.c.d",
        ] {
            #expect(CIDRBlock(invalid) == nil, "\(invalid)")
        }
        #expect(CIDRBlock("10.1.2.3/8")?.description == "10.0.0.0/8")
        #expect(CIDRBlock("1:2:3:4:5:6:7:8")?.description == "1:2:3:4:5:6:7:8/128")
    }

    @Test func theAdminKeyIsBootstrappedOnce() throws {
        let repository = InMemoryAPIKeyRepository()
        let keys = try Self.service(repository)
        let admin = RedactedSecret("admin-key-0123456789abcdef")
        try keys.bootstrapAdmin(admin)
        try keys.bootstrapAdmin(admin)
        let listed = try keys.list(tenant: nil, limit: 50, offset: 0)
        #expect(listed.total == 1 && listed.keys.first?.tenantID == nil)
        #expect(try keys.authenticate(admin.value, clientAddress: nil).isAdmin)
        // Deactivated by an admin, it stays so across restarts.
        try keys.deactivate(id: try #require(listed.keys.first).id, tenant: nil)
        try keys.bootstrapAdmin(admin)
        #expect(Self.refusal { try keys.authenticate(admin.value, clientAddress: nil) } == .unauthorized)
        #expect("\(admin)" == "(redacted)")
    }

    @Test func sqliteKeepsKeysAcrossReopening() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sc-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sandcastle.sqlite"
        let made: (record: APIKeyRecord, key: String)
        do {
            let database = try SQLiteDatabase(path: path)
            try Migrator.migrate(database)
            let keys = try Self.service(SQLiteAPIKeyRepository(database: database))
            made = try keys.create(.init(name: "kept", tenantID: "t", maxCostPerRunUSD: 0.5, allowedWorkflows: ["a", "b"], allowedCIDRs: ["::1"]))
        }
        let database = try SQLiteDatabase(path: path)
        let repository = SQLiteAPIKeyRepository(database: database)
        let stored = try #require(try repository.key(id: made.record.id))
        #expect(stored == made.record)
        #expect(try Self.service(repository).authenticate(made.key, clientAddress: "::1").allowedWorkflows == ["a", "b"])
        #expect(try repository.activeKeys(tenant: "t", limit: 10, offset: 0).total == 1)
        #expect(try repository.activeKeys(tenant: "u", limit: 10, offset: 0).total == 0)
        #expect(try repository.deactivate(id: made.record.id) && !(try repository.hasActiveKeys()))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.range(of: Data(made.key.utf8)) == nil, "the key is not in the database")
    }

    @Test func theServerRefusesToStartWithStoredKeysButNoPepperOrWithNoKeyAtAll() throws {
        let repository = InMemoryAPIKeyRepository()
        var configuration = ServerConfiguration()
        configuration.apiKeyPepper = try APIKeyPepper(Self.pepper, source: "test")
        configuration.adminAPIKey = RedactedSecret("admin-key-0123456789abcdef")
        let keys = try SandcastleServer.keyService(configuration, repository)
        #expect(try keys.hasStoredKeys() && (try keys.authenticate("admin-key-0123456789abcdef", clientAddress: nil).isAdmin))
        // The same data folder without the pepper: refused, even with a configured key.
        var withoutPepper = ServerConfiguration()
        withoutPepper.apiKeyDigests = [APIKeyStore.digest("configured-key-0123456789")]
        let refused = #expect(throws: ServerError.self) { try SandcastleServer.keyService(withoutPepper, repository) }
        #expect(refused?.code == .invalidConfiguration && refused?.message.contains("API_KEY_PEPPER") == true)
        // Open mode does not check keys at all.
        withoutPepper.openMode = true
        #expect(throws: Never.self) { try SandcastleServer.keyService(withoutPepper, repository) }
        // A pepper but no key anywhere: nobody could call the server.
        var nobody = ServerConfiguration()
        nobody.apiKeyPepper = try APIKeyPepper(Self.pepper, source: "test")
        let empty = #expect(throws: ServerError.self) { try SandcastleServer.keyService(nobody, InMemoryAPIKeyRepository()) }
        #expect(empty?.message.contains("no API keys") == true)
    }

    @Test func settingsMapAuthRequiredAndRequireThePepper() throws {
        func load(_ env: [String: String], host: String = "127.0.0.1") throws -> ServerConfiguration {
            var flags = ServerConfiguration.Overrides()
            flags.host = host
            return try ServerConfiguration.load(configFile: nil, environment: env, flags: flags)
        }
        #expect(try load(["AUTH_REQUIRED": "false"]).openMode)
        let remote = #expect(throws: ServerError.self) { try load(["AUTH_REQUIRED": "false"], host: "0.0.0.0") }
        #expect(remote?.message.contains("loopback") == true)
        #expect(throws: ServerError.self) { try load(["AUTH_REQUIRED": "maybe"]) }
        #expect(throws: ServerError.self) { try load(["AUTH_REQUIRED": "true"]) }
        let noPepper = #expect(throws: ServerError.self) { try load(["ADMIN_API_KEY": "admin-key-0123456789abcdef"]) }
        #expect(noPepper?.message.contains("API_KEY_PEPPER") == true && noPepper?.message.contains("admin-key-0123") == false)
        let configured = try load(["ADMIN_API_KEY": "admin-key-0123456789abcdef", "API_KEY_PEPPER": Self.pepper, "KEY_ROTATION_GRACE_HOURS": "6"])
        #expect(!configured.openMode && configured.adminAPIKey?.value == "admin-key-0123456789abcdef" && configured.keyRotationGraceHours == 6)
        #expect(try load(["SANDCASTLE_API_KEY_PEPPER": Self.pepper]).apiKeyPepper != nil, "stored keys only: checked at start")
        #expect(throws: ServerError.self) { try load(["API_KEY_PEPPER": "short"]) }
        #expect(throws: ServerError.self) { try load(["API_KEY_PEPPER": Self.pepper, "KEY_ROTATION_GRACE_HOURS": "9000"]) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pepper-\(UUID().uuidString)").path
        try (Self.pepper + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try load(["SANDCASTLE_API_KEY_PEPPER_FILE": file]).apiKeyPepper != nil)
        #expect(throws: ServerError.self) { try load(["SANDCASTLE_API_KEY_PEPPER_FILE": file + "-missing"]) }
    }
}
