import Foundation
import Sandbox
import ServerCore

// envd's process.proto and filesystem.proto messages in proto3 JSON: camelCase names, bytes
// as base64, int64 as strings, enums by name, default values omitted (nil here).

extension E2BEnvd {
    struct Empty: Codable, Sendable {}

    /// `ProcessSelector`: a pid or a tag. proto3 JSON allows a uint32 as a number or a string.
    struct ProcessSelector: Decodable, Sendable {
        var pid: UInt32?
        var tag: String?
        enum CodingKeys: String, CodingKey { case pid, tag }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            tag = try container.decodeIfPresent(String.self, forKey: .tag)
            if let number = try? container.decodeIfPresent(UInt32.self, forKey: .pid) {
                pid = number
            } else if let text = try container.decodeIfPresent(String.self, forKey: .pid) {
                guard let number = UInt32(text) else {
                    throw DecodingError.dataCorruptedError(forKey: .pid, in: container, debugDescription: "pid must be a uint32")
                }
                pid = number
            }
        }
    }

    struct PTYConfig: Decodable, Sendable {
        struct Size: Decodable, Sendable {
            var cols: UInt32?
            var rows: UInt32?
        }
        var size: Size?
    }

    struct StartRequest: Decodable, Sendable {
        var process: E2BProcessConfig?
        var pty: PTYConfig?
        var tag: String?
        var stdin: Bool?
    }

    struct SelectorRequest: Decodable, Sendable {
        var process: ProcessSelector?
    }

    struct UpdateRequest: Decodable, Sendable {
        var process: ProcessSelector?
        var pty: PTYConfig?
    }

    /// `ProcessInput`: stdin or PTY bytes, base64.
    struct ProcessInput: Decodable, Sendable {
        var stdin: String?
        var pty: String?
        var bytes: [UInt8] {
            get throws {
                let text = stdin ?? pty ?? ""
                guard let data = Data(base64Encoded: text) else { throw ConnectError(.invalidArgument, "input is not valid base64") }
                return Array(data)
            }
        }
    }

    struct SendInputRequest: Decodable, Sendable {
        var process: ProcessSelector?
        var input: ProcessInput?
    }

    struct SendSignalRequest: Decodable, Sendable {
        var process: ProcessSelector?
        var signal: String?
        enum CodingKeys: String, CodingKey { case process, signal }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            process = try container.decodeIfPresent(ProcessSelector.self, forKey: .process)
            // Enums may arrive by name or by number.
            if let number = try? container.decodeIfPresent(Int.self, forKey: .signal) {
                signal = String(number)
            } else {
                signal = try container.decodeIfPresent(String.self, forKey: .signal)
            }
        }
        var signalNumber: Int32 {
            get throws {
                switch signal {
                case "SIGNAL_SIGKILL", "9": return 9
                case "SIGNAL_SIGTERM", "15": return 15
                default: throw ConnectError(.invalidArgument, "signal must be SIGNAL_SIGKILL or SIGNAL_SIGTERM, not \(signal ?? "unset")")
                }
            }
        }
    }

    struct StreamInputRequest: Decodable, Sendable {
        struct Start: Decodable, Sendable {
            var process: ProcessSelector?
        }
        struct DataMessage: Decodable, Sendable {
            var input: ProcessInput?
        }
        var start: Start?
        var data: DataMessage?
    }

    struct ListRequest: Decodable, Sendable {}

    struct ProcessInfo: Encodable, Sendable {
        var config: E2BProcessConfig
        var pid: UInt32
        var tag: String?
    }

    struct ListResponse: Encodable, Sendable {
        var processes: [ProcessInfo]
    }

    struct EventMessage<Event: Encodable>: Encodable {
        var event: Event
    }

    struct PID: Encodable {
        var pid: UInt32
    }

    struct StartEvent: Encodable {
        var start: PID
    }

    struct DataEvent: Encodable {
        var data: [String: String]
    }

    struct EndEventMessage: Encodable {
        var end: E2BEndEvent
    }

    struct KeepaliveEvent: Encodable {
        var keepalive: Empty
    }

    // MARK: filesystem

    struct PathRequest: Decodable, Sendable {
        var path: String?
    }

    struct ListDirRequest: Decodable, Sendable {
        var path: String?
        var depth: UInt32?
    }

    struct MoveRequest: Decodable, Sendable {
        var source: String?
        var destination: String?
    }

    struct WatchRequest: Decodable, Sendable {
        var path: String?
        var recursive: Bool?
    }

    struct WatcherRequest: Decodable, Sendable {
        var watcherId: String?
    }

    struct CreateWatcherResponse: Encodable, Sendable {
        var watcherId: String
    }

    struct WatcherEventsResponse: Encodable, Sendable {
        var events: [E2BWatcher.Event]
    }

    struct WatchStart: Encodable {
        var start: Empty
    }

    struct WatchEvent: Encodable {
        var filesystem: E2BWatcher.Event
    }

    struct EntryResponse: Encodable, Sendable {
        var entry: EntryInfo
    }

    struct ListDirResponse: Encodable, Sendable {
        var entries: [EntryInfo]
    }

    /// `EntryInfo`. Owner and group names are not known on the host, so they are omitted.
    struct EntryInfo: Encodable, Sendable {
        var name: String
        var type: String
        var path: String
        var size: String
        var mode: UInt32
        var permissions: String
        var modifiedTime: String
        var symlinkTarget: String?

        init(_ info: FileInfo) {
            name = info.name
            type =
                switch info.kind {
                case .file: "FILE_TYPE_FILE"
                case .directory: "FILE_TYPE_DIRECTORY"
                case .symlink: "FILE_TYPE_SYMLINK"
                case .other: "FILE_TYPE_UNSPECIFIED"
                }
            path = info.path
            size = String(info.size)
            mode = info.mode
            permissions = Self.permissions(kind: info.kind, mode: info.mode)
            let date = Date(timeIntervalSince1970: Double(info.modifiedNanoseconds) / 1e9)
            modifiedTime = APIDate.format(date)
            symlinkTarget = info.symlinkTarget.isEmpty ? nil : info.symlinkTarget
        }

        /// Go's `FileMode.String()`, which envd reports: a type letter, then rwx triplets.
        static func permissions(kind: FileKind, mode: UInt32) -> String {
            let type =
                switch kind {
                case .directory: "d"
                case .symlink: "L"
                default: "-"
                }
            let letters: [Character] = ["r", "w", "x"]
            var text = type
            for bit in (0..<9).reversed() {
                text.append(mode & (1 << UInt32(bit)) != 0 ? letters[(8 - bit) % 3] : "-")
            }
            return text
        }
    }
}
