import ArgumentParser
@_spi(Stores) import Brigade
import BrigadeSQLite
import BrigadeServer
import Foundation

/// `brigade tenants create|list|rotate-token|limits`: through a running server's admin API when an
/// admin token is given, otherwise on the database file itself, as an operator would with the
/// server's own disk.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "Create and list tenants (accounts), rotate their bearer tokens and set their own limits.",
        discussion: """
            With --admin-token (or BRIGADE_ADMIN_TOKEN) the commands go to the server at --url \
            (BRIGADE_URL) through its admin API; without, they open the database file --db directly.
            """,
        subcommands: [Create.self, List.self, RotateToken.self, Limits.self]
    )

    static let defaultTenant = "default"

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The SQLite database file, when not going through a server (env BRIGADE_DB).")
        var db: String = ProcessInfo.processInfo.environment["BRIGADE_DB"] ?? "brigade.sqlite"

        @Option(name: .long, help: "The server, with --admin-token (env BRIGADE_URL).")
        var url: String = ProcessInfo.processInfo.environment["BRIGADE_URL"] ?? "http://127.0.0.1:8787"

        @Option(name: .long, help: "The server's admin token: manage tenants over HTTP (env BRIGADE_ADMIN_TOKEN).")
        var adminToken: String = ProcessInfo.processInfo.environment["BRIGADE_ADMIN_TOKEN"] ?? ""

        @Flag(name: .long, help: "Print JSON.")
        var json = false

        /// The admin API client, or nil to work on the database file.
        func client() throws -> APIClient? {
            guard !adminToken.isEmpty else { return nil }
            return try ClientOptions.client(url: url, account: "", token: adminToken)
        }

        func store() async throws -> any WorkflowStore & TenantStore {
            try await CommandSupport.openStore(db)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant and print its token (shown once).")
        @Argument(help: "The tenant id, used as the account id in API paths: 1–64 of a-z, A-Z, 0-9, _ and -.") var id: String
        @OptionGroup var options: Options

        func run() async throws {
            let token: String
            if let client = try options.client() {
                let (result, _) = try await client.call("POST", "/admin/v1/tenants", body: .object(["id": .string(id)]))
                if options.json { return say(result.text) }
                token = result["token"]?.text ?? "-"
            } else {
                token = try await TenantsCommand.create(id: id, in: try await options.store())
            }
            say("Created tenant \"\(id)\". Its token, shown once:\n\(token)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants.")
        @OptionGroup var options: Options

        func run() async throws {
            let tenants: [JSONValue]
            if let client = try options.client() {
                tenants = try await client.call("GET", "/admin/v1/tenants").result.items
            } else {
                tenants = try await options.store().tenants().map(BrigadeServer.tenantItem)
            }
            if options.json { return say(JSONValue.array(tenants).text) }
            if tenants.isEmpty { say("No tenants; `brigade tenants create ID` adds one.") }
            for tenant in tenants {
                let rotated = tenant["token_rotated_on"].map { $0 == .null ? "" : "\ttoken rotated \($0.text)" } ?? ""
                say("\(tenant["id"]?.text ?? "-")\tcreated \(tenant["created_on"]?.text ?? "-")\(rotated)")
            }
        }
    }

    struct RotateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-token", abstract: "Issue a new token for a tenant; the old one stops working at once.")
        @Argument(help: "The tenant id.") var id: String
        @OptionGroup var options: Options

        func run() async throws {
            let token: String
            if let client = try options.client() {
                let path = "/admin/v1/tenants/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)/token"
                token = try await client.call("POST", path).result["token"]?.text ?? "-"
            } else {
                token = TenantToken.generate()
                try await options.store().rotateToken(tenant: id, tokenHash: TenantToken.hash(token), now: Date().millisecondsSince1970)
            }
            say("New token for tenant \"\(id)\", shown once:\n\(token)")
        }
    }

    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set a tenant's own limits (those not given stay as they are; --reset: the server's settings for all).")
        @Argument(help: "The tenant id.") var id: String
        @Option(help: "Running instances of the account.") var maxRunning: Int?
        @Option(help: "Running instances per workflow.") var maxRunningPerWorkflow: Int?
        @Option(help: "Queued instances per workflow.") var maxQueuedPerWorkflow: Int?
        @Option(help: "Instance creations per second of the account.") var creationRate: Double?
        @Option(help: "Instance creations per second per workflow.") var workflowCreationRate: Double?
        @Option(
            help:
                "Hosts its code's fetch() may reach, comma-separated (api.example.com,*.example.org; * for any public host; \"\" for none)."
        )
        var fetchHosts: String?
        @Option(help: "host:port pairs its code may reach even at a private address, comma-separated.") var fetchPrivateHosts: String?
        @Flag(help: "Remove the tenant's own limits first: the server's settings apply.") var reset = false
        @OptionGroup var options: Options

        var changes: Bool {
            reset || maxRunning != nil || maxRunningPerWorkflow != nil || maxQueuedPerWorkflow != nil || creationRate != nil
                || workflowCreationRate != nil || fetchHosts != nil || fetchPrivateHosts != nil
        }

        func merged(into current: TenantLimits) -> TenantLimits {
            (reset ? TenantLimits.defaults : current).overriding(
                with: TenantLimits(
                    maxRunning: maxRunning, maxRunningPerWorkflow: maxRunningPerWorkflow, maxQueuedPerWorkflow: maxQueuedPerWorkflow,
                    creationRate: creationRate, workflowCreationRate: workflowCreationRate, fetchHosts: fetchHosts.map(CommandSupport.list),
                    fetchPrivateHosts: fetchPrivateHosts.map(CommandSupport.list)))
        }

        func run() async throws {
            let shown: JSONValue
            if let client = try options.client() {
                let path = "/admin/v1/tenants/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)/limits"
                var (result, _) = try await client.call("GET", path)
                if changes {
                    let limits = merged(into: try BrigadeServer.tenantLimits(result["limits"] ?? .null))
                    (result, _) = try await client.call("PUT", path, body: BrigadeServer.limitsJSON(limits))
                }
                shown = result
            } else {
                let store = try await options.store()
                guard try await store.tenant(id: id) != nil else { throw BrigadeError.tenantNotFound(id) }
                var limits = try await store.tenantLimits()[id] ?? .defaults
                if changes {
                    limits = merged(into: limits)
                    try limits.validate()
                    try await store.putTenantLimits(limits, tenant: id, now: Date().millisecondsSince1970)
                    say("Stored in \(options.db); a running server applies it at its next start (with --admin-token, at once).")
                }
                shown = .object(["tenant": .string(id), "limits": BrigadeServer.limitsJSON(limits)])
            }
            if options.json { return say(shown.text) }
            let own = shown["limits"]
            let effective = shown["effective"]
            say(
                Terminal.table(
                    ["Limit", "Own", "In force"],
                    [
                        "max_running", "max_running_per_workflow", "max_queued_per_workflow", "creation_rate", "workflow_creation_rate",
                        "fetch_hosts", "fetch_private_hosts",
                    ].map {
                        [
                            $0, own?[$0].map { $0 == .null ? "server's" : TenantsCommand.cell($0) } ?? "server's",
                            effective?[$0].map(TenantsCommand.cell) ?? "-",
                        ]
                    }
                ))
        }
    }

    static func cell(_ value: JSONValue) -> String {
        guard case .array(let items) = value else { return value.text }
        return items.isEmpty
            ? "none" : items.map { item in if case .string(let text) = item { text } else { item.text } }.joined(separator: ", ")
    }

    static func create(id: String, in store: any TenantStore) async throws -> String {
        try TenantRecord.validate(id: id)
        let token = TenantToken.generate()
        try await store.createTenant(TenantRecord(id: id, tokenHash: TenantToken.hash(token), createdAt: Date().millisecondsSince1970))
        return token
    }
}
