import Foundation
import Store

/// The server's identity: a random id kept in the data folder, so the containers of this
/// server (label `sandcastle.server`) are told apart from those of other servers and tests
/// sharing the engine, and survive restarts.
package enum ServerIdentity {
    package static func load(dataDirectory: String) throws -> String {
        let folder = URL(fileURLWithPath: dataDirectory)
        let file = folder.appendingPathComponent("server-id")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !id.isEmpty { return id }
        }
        do {
            try DataFolder.prepare(dataDirectory)
            var generator = SystemRandomNumberGenerator()
            let id = (0..<16).map { _ in String(UInt8.random(in: 0..<16, using: &generator), radix: 16) }.joined()
            try DataFolder.write(Data((id + "\n").utf8), to: file.path)
            return id
        } catch {
            throw ServerError(
                .invalidConfiguration, "cannot write the server id in \(dataDirectory): \(error.localizedDescription)",
                cause: error)
        }
    }
}
