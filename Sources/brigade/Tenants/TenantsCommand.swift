import ArgumentParser
import Brigade
import BrigadeSQLite
import BrigadeServer
import Foundation

/// `brigade tenants create|list|rotate-token`: managed on the database file itself, as an
/// operator would with the server's own disk.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants",
        abstract: "Create and list tenants (accounts) and rotate their bearer tokens.",
        subcommands: [Create.self, List.self, RotateToken.self]
    )

    static let defaultTenant = "default"

    struct Options: ParsableArguments {
        @Option(name: .long, help: "The SQLite database file (env BRIGADE_DB).")
        var db: String = ProcessInfo.processInfo.environment["BRIGADE_DB"] ?? "brigade.sqlite"

        func store() async throws -> SQLiteStore {
            try await CommandSupport.openStore(db)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant and print its token (shown once).")
        @Argument(help: "The tenant id, used as the account id in API paths: 1–64 of a-z, A-Z, 0-9, _ and -.") var id: String
        @OptionGroup var options: Options

        func run() async throws {
            let token = try await TenantsCommand.create(id: id, in: try await options.store())
            say("Created tenant \"\(id)\". Its token, shown once:\n\(token)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenants.")
        @OptionGroup var options: Options

        func run() async throws {
            let tenants = try await options.store().tenants()
            if tenants.isEmpty { say("No tenants; `brigade tenants create ID` adds one.") }
            for tenant in tenants {
                let created = Date(millisecondsSince1970: tenant.createdAt).formatted(.iso8601)
                say(
                    "\(tenant.id)\tcreated \(created)\(tenant.tokenRotatedAt.map { "\ttoken rotated \(Date(millisecondsSince1970: $0).formatted(.iso8601))" } ?? "")"
                )
            }
        }
    }

    struct RotateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-token", abstract: "Issue a new token for a tenant; the old one stops working at once.")
        @Argument(help: "The tenant id.") var id: String
        @OptionGroup var options: Options

        func run() async throws {
            let token = TenantToken.generate()
            try await options.store().rotateToken(tenant: id, tokenHash: TenantToken.hash(token), now: Date().millisecondsSince1970)
            say("New token for tenant \"\(id)\", shown once:\n\(token)")
        }
    }

    static func create(id: String, in store: SQLiteStore) async throws -> String {
        guard (1...64).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw ValidationError("A tenant id is 1–64 characters of a-z, A-Z, 0-9, _ and -; \"\(id)\" is not.")
        }
        let token = TenantToken.generate()
        try await store.createTenant(TenantRecord(id: id, tokenHash: TenantToken.hash(token), createdAt: Date().millisecondsSince1970))
        return token
    }
}
