import Foundation

/// Where the user's models file is, and reading it.
///
/// In order: the `--models FILE` flag, then `SANDCASTLE_MODELS_FILE`, then
/// `$XDG_CONFIG_HOME/sandcastle/models.yaml` (or `~/.config/sandcastle/models.yaml`) if it
/// exists. A file named by the flag or the variable must exist; the default one may be absent.
public enum ModelsFileLocation {
    public static let variable = "SANDCASTLE_MODELS_FILE"
    /// Far more than any models file needs; a bigger one is a mistake (a log, a binary).
    public static let maximumSize = 1 << 20

    /// The user's models file to merge over the shipped one, and whether it was named
    /// explicitly (then it must exist); nil when there is none.
    public static func userFile(
        flag: String?, environment: [String: String],
        fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
    ) -> (path: String, explicit: Bool)? {
        if let flag, !flag.isEmpty { return (expandingHome(flag, environment), true) }
        if let path = environment[variable], !path.isEmpty { return (expandingHome(path, environment), true) }
        let configHome: String
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            configHome = xdg
        } else if let home = environment["HOME"], !home.isEmpty {
            configHome = home + "/.config"
        } else {
            return nil
        }
        let path = configHome + "/sandcastle/models.yaml"
        return fileExists(path) ? (path, false) : nil
    }

    /// The file's text, refusing what cannot be a models file: missing, a directory, larger than
    /// ``maximumSize``, not UTF-8.
    public static func read(_ path: String) throws -> String {
        let start = ModelCatalogError.Location(file: path, line: 1, column: 1)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelCatalogError(
                .unreadableFile, at: start, "no such file",
                hint: "fix the path given by --models or \(variable), or create the file")
        }
        guard !isDirectory.boolValue else {
            throw ModelCatalogError(.unreadableFile, at: start, "is a directory, not a models file")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= maximumSize else {
            throw ModelCatalogError(
                .fileTooLarge, at: start, "is \(size) bytes; a models file is at most \(maximumSize) bytes")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelCatalogError(.unreadableFile, at: start, "cannot be read", hint: "check its permissions")
        }
        // Checked again on the bytes read: the file may have grown since its size was asked.
        guard data.count <= maximumSize else {
            throw ModelCatalogError(.fileTooLarge, at: start, "is larger than \(maximumSize) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ModelCatalogError(.yamlSyntax, at: start, "is not UTF-8 text", hint: "save the file as UTF-8")
        }
        return text
    }

    private static func expandingHome(_ path: String, _ environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = environment["HOME"], !home.isEmpty else { return path }
        return home + path.dropFirst()
    }
}

extension ModelCatalog {
    /// The shipped models file with the user's merged over it (see ``ModelsFileLocation``).
    ///
    /// - Parameters:
    ///   - modelsFile: the `--models FILE` flag, if given.
    ///   - environment: the process environment, passed in by the CLI.
    public static func load(modelsFile: String?, environment: [String: String]) throws -> ModelCatalog {
        var sources = [ModelsFileSource.shipped]
        if let user = ModelsFileLocation.userFile(flag: modelsFile, environment: environment) {
            sources.append(ModelsFileSource(text: try ModelsFileLocation.read(user.path), file: user.path))
        }
        return try ModelCatalog(sources: sources)
    }
}
