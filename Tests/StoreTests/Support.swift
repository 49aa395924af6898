import Foundation

@testable import Store

/// A temporary folder removed when the test body ends.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}

func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandcastle-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try await body(dir)
}

/// Runs `body` and returns the `StoreError` it threw, or nil.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return StoreError(.internal, "unexpected error type: \(error)")
    }
}

/// The two repository implementations, so one test body checks both.
enum RepositoryKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case inMemory

    var description: String { rawValue }

    /// A fresh repository; SQLite ones live in a temporary file under `dir`.
    func make(in dir: URL) throws -> any RunRepository {
        switch self {
        case .sqlite: try SQLiteRunRepository(path: dir.appendingPathComponent("data/sandcastle.sqlite").path)
        case .inMemory: InMemoryRunRepository()
        }
    }
}
