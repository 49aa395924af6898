import ArgumentParser
import Foundation
import SandcastleClient

/// `sandcastle keys list|create|delete|rotate|allowlist`: a server's API keys (`/api/api-keys`;
/// creating, rotating and allowlists need an admin key). A new key's plaintext is printed once,
/// on stdout alone, so it can be captured; the server keeps only its hash.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage a server's API keys: list, create, delete, rotate, restrict to networks.",
        discussion: """
            Works on the server named by --url (or SANDCASTLE_URL) with an admin key in --api-key \
            (or SANDCASTLE_API_KEY). A key made for a tenant (--tenant) sees only that tenant's \
            runs, workflows, schedules and approvals.

            Examples:
              export SANDCASTLE_URL=http://127.0.0.1:8080 SANDCASTLE_API_KEY=sc_…admin
              sandcastle keys create ci --tenant acme --max-cost-per-run 2.50 --workflow build --workflow test
              sandcastle keys list
              sandcastle keys rotate 3f9e… --grace-hours 48
              sandcastle keys allowlist 3f9e… 10.0.0.0/8 2001:db8::/32
              sandcastle keys delete 3f9e…
            """,
        subcommands: [KeysList.self, KeysCreate.self, KeysDelete.self, KeysRotate.self, KeysAllowlist.self])

    /// Printed to stderr next to a plaintext key, so a captured stdout holds only the key.
    static func warnShownOnce() {
        Console.error("sandcastle: store this key now: it is shown once, and the server keeps only its hash")
    }
}

struct KeysList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the server's active keys (never the keys themselves).", aliases: ["ls"])

    @OptionGroup var server: ServerOptions

    @Flag(name: .long, help: "Print the server's answer as JSON.")
    var json = false

    func run() async throws {
        let client = try server.requireClient("keys list")
        if json {
            let answer = try await Remote.orExit { try await client.call(.get, "/api-keys", query: [("limit", "200")]) }
            Console.print(answer.data.jsonText)
            return
        }
        let page = try await Remote.orExit { try await client.apiKeys() }
        guard !page.items.isEmpty else {
            Console.print("no keys on \(client.server.url)")
            return
        }
        let rows = page.items.map { key in
            [
                key.id, (key.keyPrefix ?? "") + "…", key.name ?? "-", key.tenantID ?? "(admin)",
                key.createdAt.map(RunsFormat.timestamp) ?? "-", key.lastUsedAt.map(RunsFormat.timestamp) ?? "never",
                key.expiresAt.map(RunsFormat.timestamp) ?? "-", (key.allowedCIDRs ?? []).isEmpty ? "any" : (key.allowedCIDRs ?? []).joined(separator: ","),
            ]
        }
        for line in RunsFormat.columns([["ID", "PREFIX", "NAME", "TENANT", "CREATED", "LAST USED", "EXPIRES", "NETWORKS"]] + rows) {
            Console.print(line)
        }
    }
}

struct KeysCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a key; its plaintext is printed once.",
        discussion: "Example: NEW_KEY=$(sandcastle keys create ci --tenant acme)")

    @OptionGroup var server: ServerOptions

    @Argument(help: "A name for the key.")
    var name: String

    @Option(name: .long, help: "The tenant the key belongs to (none: an admin key).")
    var tenant: String?

    @Option(name: .customLong("max-cost-per-run"), help: "A budget in US dollars every run submitted with the key gets at most.")
    var maxCostPerRun: Double?

    @Option(name: .customLong("workflow"), help: "A workflow the key may run (repeatable; none: any).")
    var workflows: [String] = []

    func validate() throws {
        if let maxCostPerRun, !(maxCostPerRun >= 0) || !maxCostPerRun.isFinite { throw ValidationError("--max-cost-per-run must be dollars ≥ 0") }
    }

    func run() async throws {
        let client = try server.requireClient("keys create")
        let created = try await Remote.orExit {
            try await client.createAPIKey(
                NewRemoteAPIKey(name: name, tenantID: tenant, maxCostPerRunUSD: maxCostPerRun, allowedWorkflows: workflows.isEmpty ? nil : workflows))
        }
        Console.error("sandcastle: created key \(created.id) (\(created.keyPrefix ?? "")…) for \(created.tenantID.map { "tenant \($0)" } ?? "admin use")")
        KeysCommand.warnShownOnce()
        Console.print(created.key)
    }
}

struct KeysDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Deactivate a key: it stops working at once.", aliases: ["rm"])

    @OptionGroup var server: ServerOptions

    @Argument(help: "The key's id (from `keys list`).")
    var id: String

    func run() async throws {
        let client = try server.requireClient("keys delete")
        try await Remote.orExit { try await client.deleteAPIKey(id: id) }
        Console.print("key \(id) deactivated")
    }
}

struct KeysRotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Replace a key with a new one; the old one keeps working for a grace period.",
        discussion: "Example: NEW_KEY=$(sandcastle keys rotate 3f9e… --grace-hours 1)")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The key's id.")
    var id: String

    @Option(name: .customLong("grace-hours"), help: "Hours the old key still works (0–8760; default: the server's, 24).")
    var graceHours: Int?

    func validate() throws {
        if let graceHours, !(0...8760).contains(graceHours) { throw ValidationError("--grace-hours is 0 to 8760") }
    }

    func run() async throws {
        let client = try server.requireClient("keys rotate")
        let rotated = try await Remote.orExit { try await client.rotateAPIKey(id: id, gracePeriodHours: graceHours) }
        Console.error(
            "sandcastle: key \(rotated.oldKeyID) replaced by \(rotated.newKeyID); the old key works until "
                + (rotated.oldKeyExpiresAt.map(RunsFormat.timestamp) ?? "the grace period ends"))
        KeysCommand.warnShownOnce()
        Console.print(rotated.newKey)
    }
}

struct KeysAllowlist: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "allowlist", abstract: "Accept a key only from these networks (IPv4 or IPv6 CIDRs); --clear accepts it from anywhere.",
        discussion: "Example: sandcastle keys allowlist 3f9e… 10.0.0.0/8 192.168.1.7/32 2001:db8::/32")

    @OptionGroup var server: ServerOptions

    @Argument(help: "The key's id.")
    var id: String

    @Argument(help: "Networks in CIDR notation.")
    var cidrs: [String] = []

    @Flag(name: .long, help: "Remove the restriction.")
    var clear = false

    func validate() throws {
        if clear == !cidrs.isEmpty { throw ValidationError("give networks, or --clear") }
    }

    func run() async throws {
        let client = try server.requireClient("keys allowlist")
        let key = try await Remote.orExit { try await client.setAllowlist(id: id, cidrs: cidrs) }
        let networks = key.allowedCIDRs ?? cidrs
        Console.print("key \(id) accepted from " + (networks.isEmpty ? "any network" : networks.joined(separator: ", ")))
    }
}
