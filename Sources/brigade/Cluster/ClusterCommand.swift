import ArgumentParser
@_spi(Stores) import Brigade
import BrigadePostgres
import Foundation

/// `brigade cluster status`: the nodes of a cluster on PostgreSQL, their shards' lease slots and
/// when the leases expire, read on the database's clock.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Look at a cluster of Brigade nodes on PostgreSQL.",
        subcommands: [Status.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the nodes, the lease slots each holds (their shards run there) and the slots no node holds.")

        @Option(name: .long, help: "The cluster's postgres://user[:password]@host[:port]/database URL (env BRIGADE_DB).")
        var db: String = ProcessInfo.processInfo.environment["BRIGADE_DB"] ?? ""

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        func validate() throws {
            guard PostgresLocation.isURL(db) else {
                throw ValidationError("A cluster lives on PostgreSQL: pass --db postgres://user@host:port/database (a SQLite file is one node).")
            }
        }

        func run() async throws {
            let store = try PostgresStore(url: db)
            try await store.migrate()
            let view = try await store.clusterView()
            let held = Dictionary(grouping: view.leases.filter { !$0.expired }, by: \.node)
            let free = view.leases.filter(\.expired).map(\.slot)
            if json {
                let nodes: [JSONValue] = view.nodes.map { node in
                    .object([
                        "node": .string(node.id), "live": .bool(node.live),
                        "started_at": .string(Date(millisecondsSince1970: node.startedAt).ISO8601Format()),
                        "heartbeat_at": .string(Date(millisecondsSince1970: node.heartbeatAt).ISO8601Format()),
                        "slots": .array((held[node.id] ?? []).map { .number(Double($0.slot)) }),
                        "lease_expires_in_ms": (held[node.id]?.map(\.expiresAt).min()).map { .number(Double($0 - view.now)) } ?? .null,
                    ])
                }
                let document = JSONValue.object(["nodes": .array(nodes), "unheld_slots": .array(free.map { .number(Double($0)) })])
                say(String(decoding: document.jsonData(), as: UTF8.self))
                await store.close()
                return
            }
            say("NODE".padding(toLength: 32, withPad: " ", startingAt: 0) + "LIVE  SLOTS  LEASES EXPIRE IN  HEARTBEAT AGO")
            for node in view.nodes {
                let leases = held[node.id] ?? []
                let expiry = leases.map(\.expiresAt).min().map { "\($0 - view.now) ms" } ?? "-"
                say(
                    node.id.padding(toLength: 32, withPad: " ", startingAt: 0) + (node.live ? "yes   " : "no    ")
                        + "\(leases.count)".padding(toLength: 7, withPad: " ", startingAt: 0)
                        + expiry.padding(toLength: 18, withPad: " ", startingAt: 0) + "\(view.now - node.heartbeatAt) ms")
                if !leases.isEmpty { say("  slots " + leases.map { "\($0.slot)@\($0.epoch)" }.joined(separator: " ")) }
            }
            if view.nodes.isEmpty { say("No node has joined this database yet: start one with `brigade serve --db \(CommandSupport.describe(db))`.") }
            if !free.isEmpty { say("Slots no node holds (taken at the next heartbeat): \(free.map(String.init).joined(separator: " "))") }
            await store.close()
        }
    }
}
