import Foundation
import Sandbox
import Store

/// Where a run keeps files on the host, under the data folder:
///
/// ```
/// <data>/runs/<run>/artifacts/<step>[/<index>]/…   files the step wrote under $SANDCASTLE_OUTPUTS
/// <data>/runs/<run>/outputs/<step>.json|.txt       a step output too large to keep in the database
/// <data>/runs/<run>/workspace.tar                  the workspace as the run left it, for replays and forks
/// ```
public struct RunFiles: Sendable {
    public var dataDirectory: String

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    public func runDirectory(_ runID: String) -> String {
        (dataDirectory as NSString).appendingPathComponent("runs/\(runID)")
    }

    public func artifactsDirectory(_ runID: String) -> String {
        (runDirectory(runID) as NSString).appendingPathComponent("artifacts")
    }

    public func artifactsDirectory(_ runID: String, step: String, index: Int?) -> String {
        let step = (artifactsDirectory(runID) as NSString).appendingPathComponent(step)
        return index.map { (step as NSString).appendingPathComponent(String($0)) } ?? step
    }

    public func workspaceSnapshot(_ runID: String) -> String {
        (runDirectory(runID) as NSString).appendingPathComponent("workspace.tar")
    }

    /// Where `on_complete.storage_path` files go: `storage/` in the data folder.
    public var storageDirectory: String { (dataDirectory as NSString).appendingPathComponent("storage") }

    /// A `storage_path` under ``storageDirectory``; nil when it would leave it (absolute, `..`,
    /// empty, a NUL byte) — rendered values can come from a run's inputs.
    public func storageFile(_ relative: String) -> String? {
        let components = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !relative.hasPrefix("/"), !relative.contains("\0"), !components.isEmpty,
            components.allSatisfy({ $0 != ".." && $0 != "." })
        else { return nil }
        return (storageDirectory as NSString).appendingPathComponent(components.joined(separator: "/"))
    }

    public func outputFile(_ runID: String, step: String, json: Bool) -> String {
        (runDirectory(runID) as NSString).appendingPathComponent("outputs/\(step).\(json ? "json" : "txt")")
    }

    /// Every artifact file of a run, as paths relative to its artifacts folder (`merge/report.md`), with sizes.
    public func artifacts(_ runID: String) -> [(path: String, size: Int)] {
        let root = artifactsDirectory(runID)
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var found: [(String, Int)] = []
        while let relative = walker.nextObject() as? String {
            let full = (root as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let size = (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? Int) ?? 0
            found.append((relative, size))
        }
        return found.sorted { $0.0 < $1.0 }
    }
}

/// Copies the files a step wrote under its outputs folder out of the sandbox (through the
/// runner channel, so it works against a remote engine too).
enum Artifacts {
    /// The outputs folders live in the run's workspace volume, one per step (and fan-out item).
    static let sandboxRoot = "/workspace/outputs"

    static func sandboxFolder(step: String, index: Int?) -> String {
        "\(sandboxRoot)/\(step)" + (index.map { "/\($0)" } ?? "")
    }

    /// Bounds on what one step may hand over, so a runaway step cannot fill the host's disk.
    static let maximumFiles = 1000
    static let maximumBytes = 256 * 1024 * 1024

    struct Collected: Sendable {
        var files: [String] = []
        var bytes = 0
        /// Why collection stopped early, if it did.
        var problem: String?
    }

    /// Copies every regular file under `folder` (recursively; symlinks are not followed) to
    /// `destination`, keeping the relative layout.
    static func collect(from sandbox: any SandboxInstance, folder: String, to destination: String) async -> Collected {
        var result = Collected()
        var pending: [(String, String)] = [(folder, "")]
        while let (directory, relative) = pending.popLast() {
            let entries: [FileInfo]
            do {
                entries = try await sandbox.list(path: directory)
            } catch {
                // A step that wrote nothing may not even have the folder.
                if relative.isEmpty { return result }
                result.problem = "cannot list \(directory): \(error)"
                return result
            }
            for entry in entries.sorted(by: { $0.name < $1.name }) {
                // Names come from the sandbox: never let one climb out of the destination.
                guard !entry.name.isEmpty, entry.name != ".", entry.name != "..", !entry.name.contains("/") else { continue }
                let path = relative.isEmpty ? entry.name : "\(relative)/\(entry.name)"
                switch entry.kind {
                case .directory:
                    pending.append(("\(directory)/\(entry.name)", path))
                case .file:
                    guard result.files.count < maximumFiles, result.bytes + Int(entry.size) <= maximumBytes else {
                        result.problem =
                            "stopped at \(result.files.count) files / \(result.bytes) bytes "
                            + "(limits \(maximumFiles) files, \(maximumBytes / 1_048_576) MiB)"
                        return result
                    }
                    do {
                        let bytes = try await sandbox.readFileBytes("\(directory)/\(entry.name)")
                        let target = (destination as NSString).appendingPathComponent(path)
                        try DataFolder.write(Data(bytes), to: target)
                        result.files.append(path)
                        result.bytes += bytes.count
                    } catch {
                        result.problem = "cannot copy \(path): \(error)"
                        return result
                    }
                default:
                    continue
                }
            }
        }
        return result
    }
}
