import Testing

@testable import OneShotAgent

/// Sandstorm's upload rules and messages (`QueryRequest.validate_file_paths`), and the cases it
/// leaves open that a path confined to the workspace must close.
@Suite struct UploadedFilesTests {
    static func error(_ files: [String: String]) -> OneShotError? {
        do {
            _ = try UploadedFiles(files)
            return nil
        } catch {
            return error as? OneShotError
        }
    }

    @Test func pathsAreNormalisedInsideTheWorkspace() throws {
        let files = try UploadedFiles([
            "./a//b/./c.txt": "1", "x/y/../z.txt": "2", "dir\\win.txt": "3", "..hidden-but-fine": "4", "plain.txt": "5",
        ])
        #expect(files.files.map(\.path) == ["..hidden-but-fine", "a/b/c.txt", "dir/win.txt", "plain.txt", "x/z.txt"])
        #expect(files.absolutePaths(in: "/workspace").contains("/workspace/a/b/c.txt"))
        #expect(files.totalBytes == 5)
    }

    @Test func absolutePathsAreRefusedWithSandstormsMessage() {
        for path in ["/etc/passwd", "\\etc\\passwd", "C:\\Windows\\x", "c:/x", "\\\\server\\share\\x"] {
            let error = Self.error([path: "x"])
            #expect(error?.code == .absolutePath, "\(path)")
            #expect(error?.message == "Absolute paths are not allowed: \(path)")
        }
    }

    @Test func climbingOutOrNamingNothingIsPathTraversal() {
        for path in ["../x", "a/../../x", "a\\..\\..\\etc\\passwd", "", ".", "a/..", "./.", "a/./../.."] {
            let error = Self.error([path: "x"])
            #expect(error?.code == .pathTraversal, "\(path.debugDescription)")
            #expect(error?.message == "Path traversal not allowed: \(path)", "\(path.debugDescription)")
        }
    }

    @Test func hostilePathsAreRefused() {
        #expect(Self.error(["a\u{0}b": "x"])?.code == .pathTraversal)
        #expect(Self.error(["line\nbreak": "x"])?.message.contains("control characters") == true)
        #expect(Self.error([String(repeating: "n", count: 256): "x"])?.code == .pathTraversal)
        #expect(Self.error([Array(repeating: "d", count: 2100).joined(separator: "/"): "x"])?.code == .pathTraversal)
        let duplicate = Self.error(["a/b": "1", "a//b": "2"])
        #expect(duplicate?.message.contains("both name a/b") == true, "\(String(describing: duplicate))")
    }

    @Test func countAndSizeLimitsUseSandstormsWords() {
        let many = Dictionary(uniqueKeysWithValues: (0...20).map { ("f\($0).txt", "x") })
        #expect(Self.error(many)?.message == "Too many files: 21 (max 20)")
        #expect(Self.error(Dictionary(uniqueKeysWithValues: (0..<20).map { ("f\($0).txt", "x") })) == nil)
        let big = String(repeating: "é", count: 5_000_000) + "x" // 10,000,001 UTF-8 bytes
        #expect(Self.error(["big.txt": big])?.message == "Total file size 10,000,001 bytes exceeds 10MB limit")
        #expect(Self.error(["big.txt": String(repeating: "x", count: 10_000_000)]) == nil)
        #expect(UploadedFiles.grouped(999) == "999" && UploadedFiles.grouped(1000) == "1,000" && UploadedFiles.grouped(12_345_678) == "12,345,678")
    }
}
