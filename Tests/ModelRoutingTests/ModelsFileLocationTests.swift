import Foundation
import ModelProviders
import Testing

@Suite struct ModelsFileLocationTests {
    /// A fresh directory, removed when `body` ends.
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func theFlagWinsThenTheVariableThenTheConfigFile() {
        let environment = ["SANDCASTLE_MODELS_FILE": "/from/env.yaml", "HOME": "/home/me"]
        #expect(ModelsFileLocation.userFile(flag: "/from/flag.yaml", environment: environment)! == ("/from/flag.yaml", true))
        #expect(ModelsFileLocation.userFile(flag: nil, environment: environment)! == ("/from/env.yaml", true))
        let exists: (String) -> Bool = { $0 == "/home/me/.config/sandcastle/models.yaml" }
        #expect(
            ModelsFileLocation.userFile(flag: nil, environment: ["HOME": "/home/me"], fileExists: exists)!
                == ("/home/me/.config/sandcastle/models.yaml", false))
        #expect(ModelsFileLocation.userFile(flag: nil, environment: ["HOME": "/home/me"], fileExists: { _ in false }) == nil)
        #expect(ModelsFileLocation.userFile(flag: nil, environment: [:], fileExists: { _ in true }) == nil)
    }

    @Test func xdgConfigHomeIsHonouredWhenAbsolute() {
        let seen = XDGProbe()
        _ = ModelsFileLocation.userFile(
            flag: nil, environment: ["HOME": "/home/me", "XDG_CONFIG_HOME": "/xdg"], fileExists: seen.record)
        _ = ModelsFileLocation.userFile(
            flag: nil, environment: ["HOME": "/home/me", "XDG_CONFIG_HOME": "relative/dir"], fileExists: seen.record)
        #expect(seen.paths == ["/xdg/sandcastle/models.yaml", "/home/me/.config/sandcastle/models.yaml"])
    }

    @Test func aTildeMeansHome() {
        #expect(ModelsFileLocation.userFile(flag: "~/m.yaml", environment: ["HOME": "/home/me"])!.path == "/home/me/m.yaml")
    }

    @Test func loadMergesTheUsersFile() throws {
        try withDirectory { directory in
            let path = directory + "/models.yaml"
            try "aliases:\n  sonnet: claude-sonnet-4-5\n".write(toFile: path, atomically: true, encoding: .utf8)
            let catalog = try ModelCatalog.load(modelsFile: nil, environment: ["SANDCASTLE_MODELS_FILE": path])
            #expect(try catalog.resolve("sonnet").modelID == "claude-sonnet-4-5")
            #expect(catalog.files.last == path)

            // The default place, found through XDG_CONFIG_HOME.
            try FileManager.default.createDirectory(atPath: directory + "/sandcastle", withIntermediateDirectories: true)
            try "aliases:\n  opus: claude-opus-5\n".write(
                toFile: directory + "/sandcastle/models.yaml", atomically: true, encoding: .utf8)
            let fromConfig = try ModelCatalog.load(modelsFile: nil, environment: ["XDG_CONFIG_HOME": directory])
            #expect(try fromConfig.resolve("opus").modelID == "claude-opus-5")

            // Without any user file the shipped one stands alone.
            let alone = try ModelCatalog.load(modelsFile: nil, environment: ["HOME": directory + "/nowhere"])
            #expect(alone.files == ["shipped models file"])
        }
    }

    @Test func aNamedFileMustBeThereAndBeAModelsFile() throws {
        try withDirectory { directory in
            let missing = try #require(throws: ModelCatalogError.self) {
                try ModelCatalog.load(modelsFile: directory + "/absent.yaml", environment: [:])
            }
            #expect(missing.code == .unreadableFile)
            #expect(missing.description.hasPrefix(directory + "/absent.yaml:1:1: no such file"))

            let isDirectory = try #require(throws: ModelCatalogError.self) {
                try ModelCatalog.load(modelsFile: directory, environment: [:])
            }
            #expect(isDirectory.message.contains("is a directory"))

            let big = directory + "/big.yaml"
            try Data(repeating: UInt8(ascii: "#"), count: ModelsFileLocation.maximumSize + 1).write(to: URL(fileURLWithPath: big))
            let tooLarge = try #require(throws: ModelCatalogError.self) { try ModelCatalog.load(modelsFile: big, environment: [:]) }
            #expect(tooLarge.code == .fileTooLarge)

            let binary = directory + "/binary.yaml"
            try Data([0x6D, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
            let notText = try #require(throws: ModelCatalogError.self) { try ModelCatalog.load(modelsFile: binary, environment: [:]) }
            #expect(notText.message.contains("not UTF-8"))
        }
    }
}

/// Records the paths a location lookup asks about.
private final class XDGProbe {
    var paths: [String] = []

    func record(_ path: String) -> Bool {
        paths.append(path)
        return false
    }
}
