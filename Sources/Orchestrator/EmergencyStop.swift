import Foundation
import Store

/// The server's emergency stop (`POST /api/admin/emergency-stop`): every queued and running run
/// is cancelled and no run is accepted or started until it is reset. The state is a file in the
/// data folder, so a restart does not lift it.
struct EmergencyStop: Sendable {
    let path: String

    init(dataDirectory: String) {
        path = (dataDirectory as NSString).appendingPathComponent("emergency-stop")
    }

    var isActive: Bool { FileManager.default.fileExists(atPath: path) }

    func activate(at time: Date = Date()) throws {
        try DataFolder.write(Data("stopped at \(time.formatted(.iso8601))\n".utf8), to: path)
    }

    func reset() throws {
        if isActive { try FileManager.default.removeItem(atPath: path) }
    }
}
