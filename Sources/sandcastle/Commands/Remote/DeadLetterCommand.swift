import ArgumentParser
import Foundation
import SandcastleClient

/// `sandcastle dlq list|retry|resolve`: a server's dead letters (`/api/dead-letter`), the steps
/// that exhausted their retries under `on_failure: dead_letter`.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "A server's dead letters: steps that failed after all their retries.",
        discussion: """
            Works on the server named by --url (or SANDCASTLE_URL) with --api-key (or \
            SANDCASTLE_API_KEY). `retry` runs the item's workflow again as a new run (its parent \
            the failed one); `resolve` marks it handled without running anything.

            Examples:
              export SANDCASTLE_URL=http://127.0.0.1:8080
              sandcastle dlq list
              sandcastle dlq retry 41c2… --follow
              sandcastle dlq resolve 41c2… --reason "fixed the upstream API by hand"
            """,
        subcommands: [DeadLetterList.self, DeadLetterRetry.self, DeadLetterResolve.self])
}

struct DeadLetterList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the open dead letters (--resolved: all of them).", aliases: ["ls"])

    @OptionGroup var server: ServerOptions

    @Flag(name: .long, help: "Include the resolved items (Sandcastle's `resolved=true`).")
    var resolved = false

    @Option(name: .long, help: "At most this many (1–200).")
    var limit = 50

    @Flag(name: .long, help: "Print the server's answer as JSON.")
    var json = false

    func run() async throws {
        let client = try server.requireClient("dlq list")
        let limit = min(max(1, self.limit), 200)
        if json {
            let answer = try await Remote.orExit {
                try await client.call(.get, "/dead-letter", query: [("resolved", resolved ? "true" : "false"), ("limit", String(limit))])
            }
            Console.print(answer.data.jsonText)
            return
        }
        let page = try await Remote.orExit { try await client.deadLetters(resolved: resolved, limit: limit) }
        guard !page.items.isEmpty else {
            Console.print("no \(resolved ? "" : "open ")dead letters on \(client.server.url)")
            return
        }
        let rows = page.items.map { item in
            [
                item.id, item.runID, item.stepID.map { RunsFormat.stepLabel($0, item.parallelIndex) } ?? "-", item.attempts.map(String.init) ?? "-",
                item.createdAt.map(RunsFormat.timestamp) ?? "-", item.resolvedBy ?? "-",
                RemoteRunsFormat.excerpt(item.error ?? "", 80),
            ]
        }
        for line in RunsFormat.columns([["ID", "RUN", "STEP", "ATTEMPTS", "CREATED", "RESOLVED BY", "ERROR"]] + rows) { Console.print(line) }
        if page.total > page.items.count { Console.print("(\(page.items.count) of \(page.total); --limit shows more)") }
    }
}

struct DeadLetterRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Run the item's workflow again as a new run.")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The dead letter's id.")
    var id: String

    @Flag(name: [.customShort("f"), .long], help: "Print the new run's steps until it ends; exit as `runs submit --follow` does.")
    var follow = false

    func run() async throws {
        let client = try server.requireClient("dlq retry")
        let retry = try await Remote.orExit { try await client.retryDeadLetter(id: id) }
        Console.print("run \(retry.newRunID): retry of dead letter \(id), queued on \(client.server.url)")
        if follow { try await RemoteRunDriver.drive(client, runID: retry.newRunID, after: 0) }
    }
}

struct DeadLetterResolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Mark a dead letter handled, without running anything.")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The dead letter's id.")
    var id: String

    @Option(name: .long, help: "Why, kept with the item.")
    var reason: String?

    func run() async throws {
        let client = try server.requireClient("dlq resolve")
        _ = try await Remote.orExit { try await client.resolveDeadLetter(id: id, reason: reason) }
        Console.print("dead letter \(id) resolved" + (reason.map { " (\($0))" } ?? ""))
    }
}
