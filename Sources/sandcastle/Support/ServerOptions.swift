import ArgumentParser
import Foundation
import HTTPTransport
import JSONValues
import SandcastleClient

/// `--url` and `--api-key` (or `SANDCASTLE_URL` and `SANDCASTLE_API_KEY`): the Sandcastle server
/// a command works on instead of the local data folder. The key is sent as `X-API-Key` and never
/// printed; prefer the environment variable to the flag, which other users see in `ps`.
struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "Work on the Sandcastle server at URL (http://HOST:PORT) instead of the data folder (default: $SANDCASTLE_URL).")
    var url: String?

    @Option(
        name: .customLong("api-key"),
        help: "The server's API key (default: $SANDCASTLE_API_KEY, which is safer: a flag shows in `ps`). Sent as X-API-Key, never printed.")
    var apiKey: String?

    /// The URL given by flag, else by the environment; nil for none (or an empty variable).
    var serverURL: String? {
        if let url { return url }
        guard let fromEnvironment = ProcessInfo.processInfo.environment["SANDCASTLE_URL"], !fromEnvironment.isEmpty else { return nil }
        return fromEnvironment
    }

    /// The client for the server, or nil when no URL is given (the command stays local).
    func client() throws -> SandcastleAPIClient? {
        guard let serverURL else { return nil }
        let key = apiKey ?? ProcessInfo.processInfo.environment["SANDCASTLE_API_KEY"]
        return try Remote.orExit { try SandcastleAPIClient(server: try RemoteServer(url: serverURL, apiKey: key)) }
    }

    /// The client for a command that only exists against a server.
    func requireClient(_ command: String) throws -> SandcastleAPIClient {
        guard let client = try client() else {
            Console.error(
                "sandcastle: `sandcastle \(command)` works on a server: give --url URL (or set SANDCASTLE_URL), and --api-key (or SANDCASTLE_API_KEY) if it needs one"
            )
            throw ExitCode(1)
        }
        return client
    }
}

/// What the remote commands share: errors as one line on stderr and exit status 1.
enum Remote {
    static func orExit<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as RemoteAPIError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        } catch let error as HTTPTransportError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    static func orExit<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RemoteAPIError {
            Console.error("sandcastle: \(error.message)")
            throw ExitCode(1)
        }
    }

    /// A refusal by the command itself: what has no remote equivalent, or a bad combination.
    static func refuse(_ message: String) -> ExitCode {
        Console.error("sandcastle: \(message)")
        return ExitCode(1)
    }

    /// `KEY=VALUE` assignments as the JSON object the API takes; values go as strings, which the
    /// server converts to the types the workflow declares (as it does for Sandcastle's SDK).
    static func assignments(_ entries: [String], flag: String) throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("\(flag) expects KEY=VALUE, got '\(entry)'")
            }
            values[String(entry[..<equals])] = .string(String(entry[entry.index(after: equals)...]))
        }
        return values
    }
}
