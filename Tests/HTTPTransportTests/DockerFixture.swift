import Foundation
import Testing

@testable import HTTPTransport

/// Minimal raw Docker calls for transport tests (the typed client lives in DockerEngine).
struct DockerFixture {
    static let socketPath = "/var/run/docker.sock"
    static let image = "sandcastle/bootstrap:bookworm"
    let client: HTTPClient

    init() throws {
        client = try HTTPClient(endpoint: .unixSocket(Self.socketPath))
    }

    func json(_ object: [String: Any]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: object))
    }

    /// Creates a labelled container and returns its id.
    func createContainer(cmd: [String], openStdin: Bool = false) async throws -> String {
        let body: [String: Any] = [
            "Image": Self.image, "Cmd": cmd, "Labels": ["sandcastle.managed": "true", "sandcastle.test": "http-transport"],
            "OpenStdin": openStdin, "StdinOnce": openStdin, "AttachStdin": openStdin,
            "AttachStdout": true, "AttachStderr": true, "Tty": false,
            "HostConfig": ["NetworkMode": "none"],
        ]
        let response = try await client.send(
            HTTPRequest(
                method: .post, path: "/containers/create",
                headers: ["Content-Type": "application/json"],
                body: .bytes(try json(body)), timeout: .seconds(30)))
        #expect(response.status == 201, "\(response.bodyText)")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return try #require(object?["Id"] as? String)
    }

    func start(_ id: String) async throws {
        let response = try await client.send(HTTPRequest(method: .post, path: "/containers/\(id)/start", timeout: .seconds(30)))
        #expect(response.status == 204, "\(response.bodyText)")
    }

    func wait(_ id: String) async throws {
        let response = try await client.send(HTTPRequest(method: .post, path: "/containers/\(id)/wait", timeout: .seconds(60)))
        #expect(response.status == 200, "\(response.bodyText)")
    }

    func remove(_ id: String) async {
        _ = try? await client.send(HTTPRequest(method: .delete, path: "/containers/\(id)?force=1&v=1", timeout: .seconds(30)))
    }

    /// Runs `body` with a fresh container, removing it afterwards even when `body` throws.
    func withContainer<T>(cmd: [String], openStdin: Bool = false, _ body: (String) async throws -> T) async throws -> T {
        let id = try await createContainer(cmd: cmd, openStdin: openStdin)
        do {
            let result = try await body(id)
            await remove(id)
            return result
        } catch {
            await remove(id)
            throw error
        }
    }
}

/// Splits Docker's 8-byte-header multiplexed stream (test-local; DockerEngine has the real one).
struct TestDemux {
    var buffer: [UInt8] = []
    mutating func feed(_ bytes: [UInt8]) -> [(UInt8, [UInt8])] {
        buffer += bytes
        var frames: [(UInt8, [UInt8])] = []
        while buffer.count >= 8 {
            let size = Int(buffer[4]) << 24 | Int(buffer[5]) << 16 | Int(buffer[6]) << 8 | Int(buffer[7])
            guard buffer.count >= 8 + size else { break }
            frames.append((buffer[0], Array(buffer[8..<(8 + size)])))
            buffer.removeFirst(8 + size)
        }
        return frames
    }
}
