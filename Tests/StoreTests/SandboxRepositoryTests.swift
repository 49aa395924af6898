import Foundation
import Testing

@testable import Store

/// The sandbox repository, both implementations held to the same behaviour.
@Suite struct SandboxRepositoryTests {
    enum Kind: String, CaseIterable, Sendable { case sqlite, inMemory }

    func make(_ kind: Kind, in dir: URL) throws -> any SandboxRepository {
        switch kind {
        case .inMemory:
            return InMemorySandboxRepository()
        case .sqlite:
            let database = try SQLiteDatabase(path: dir.appendingPathComponent("s.sqlite").path)
            try Migrator.migrate(database)
            return SQLiteSandboxRepository(database: database)
        }
    }

    @Test(arguments: Kind.allCases)
    func insertUpdateAndReadBack(kind: Kind) throws {
        try withTemporaryDirectory { dir in
            let repo = try make(kind, in: dir)
            let record = SandboxRecord(
                id: "a", containerID: "c1", image: "base", profile: "default", status: .running,
                createdAt: Date(timeIntervalSince1970: 1000.5), expiresAt: Date(timeIntervalSince1970: 2000),
                ttlSeconds: 1000, apiKeyID: "key_1", workspace: "ws", environment: ["A": "1", "B": "x y"],
                memoryBytes: 1 << 28, nanoCPUs: 500_000_000, network: "none", serverID: "srv")
            try repo.insert(record)
            #expect(try repo.sandbox(id: "a") == record)
            #expect(storeError { try repo.insert(record) }?.code == .constraint)
            var changed = record
            changed.status = .lost
            changed.statusReason = "lost over a restart"
            changed.containerID = nil
            try repo.update(changed)
            // A sandbox that is gone keeps its variables' names, not their values (issue 12).
            changed.environment = ["A": "", "B": ""]
            #expect(try repo.sandbox(id: "a") == changed)
            #expect(try repo.sandbox(id: "zzz") == nil)
            #expect(storeError { try repo.update(SandboxRecord(id: "zzz", image: "b", profile: "p", status: .running)) }?.code == .notFound)
        }
    }

    @Test(arguments: Kind.allCases)
    func listFiltersPagesAndCounts(kind: Kind) throws {
        try withTemporaryDirectory { dir in
            let repo = try make(kind, in: dir)
            let base = Date(timeIntervalSince1970: 5000)
            // Two share a creation time: the id breaks the tie so paging never skips or repeats.
            let rows = [
                ("s1", 0.0, "base", SandboxStatus.running, "k1"), ("s3", 1, "python", .running, "k1"),
                ("s2", 1, "base", .expired, "k2"), ("s4", 2, "base", .running, "k2"),
            ]
            for (id, offset, image, status, key) in rows {
                try repo.insert(
                    SandboxRecord(
                        id: id, image: image, profile: "default", status: status,
                        createdAt: base.addingTimeInterval(offset), apiKeyID: key, serverID: "srv"))
            }
            #expect(try repo.list(SandboxQuery()).map(\.id) == ["s1", "s2", "s3", "s4"])
            #expect(try repo.list(SandboxQuery(image: "base")).map(\.id) == ["s1", "s2", "s4"])
            #expect(try repo.list(SandboxQuery(statuses: [.running], apiKeyID: "k2")).map(\.id) == ["s4"])
            #expect(try repo.list(SandboxQuery(statuses: [])).isEmpty)
            var pages: [[String]] = []
            var after: SandboxCursor?
            repeat {
                let page = try repo.list(SandboxQuery(after: after, limit: 3))
                pages.append(page.map(\.id))
                after = page.count == 3 ? page.last.map { SandboxCursor(createdAt: $0.createdAt, id: $0.id) } : nil
            } while after != nil
            #expect(pages == [["s1", "s2", "s3"], ["s4"]])
            let cursor = SandboxCursor(createdAt: base.addingTimeInterval(1), id: "s2")
            #expect(SandboxCursor(token: cursor.token) == cursor)
            #expect(SandboxCursor(token: "garbage") == nil)
            #expect(try repo.count(statuses: SandboxStatus.live, apiKeyID: nil) == 3)
            #expect(try repo.count(statuses: SandboxStatus.live, apiKeyID: "k1") == 2)
            #expect(try repo.count(statuses: [], apiKeyID: nil) == 0)
        }
    }

    @Test func migrationTwoAddsTheServiceColumnsToAVersionOneDatabase() throws {
        try withTemporaryDirectory { dir in
            let database = try SQLiteDatabase(path: dir.appendingPathComponent("old.sqlite").path)
            try Migrator.migrate(database, migrations: [Schema.v1])
            try database.execute("INSERT INTO sandboxes (id, image, profile, status, created_at) VALUES ('old', 'base', 'default', 'running', 1)")
            #expect(try Migrator.migrate(database) == Schema.latestVersion)
            let old = try #require(try SQLiteSandboxRepository(database: database).sandbox(id: "old"))
            #expect(old.environment.isEmpty && old.serverID == nil && old.statusReason == nil)
        }
    }
}
