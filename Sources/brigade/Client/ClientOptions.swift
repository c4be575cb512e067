import ArgumentParser
import Brigade
import Foundation

/// Where the CLI sends its requests: `--url`, `--account`, `--token` or the environment
/// (`BRIGADE_URL`, `BRIGADE_ACCOUNT`, `BRIGADE_TOKEN`), as `brigade serve` prints them.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The server (env BRIGADE_URL).")
    var url: String = ProcessInfo.processInfo.environment["BRIGADE_URL"] ?? "http://127.0.0.1:8787"

    @Option(name: [.long, .customLong("tenant")], help: "The account (tenant) id (env BRIGADE_ACCOUNT).")
    var account: String = ProcessInfo.processInfo.environment["BRIGADE_ACCOUNT"] ?? "default"

    @Option(name: .long, help: "The tenant's bearer token (env BRIGADE_TOKEN).")
    var token: String = ProcessInfo.processInfo.environment["BRIGADE_TOKEN"] ?? ""

    @Flag(name: .long, help: "Print the API's JSON result instead of a table.")
    var json = false

    func client() throws -> APIClient {
        guard !token.isEmpty else {
            throw ValidationError(
                "No token: pass --token or set BRIGADE_TOKEN (brigade serve prints it on first start; `brigade tenants rotate-token` issues one)."
            )
        }
        return try Self.client(url: url, account: account, token: token)
    }

    static func client(url: String, account: String, token: String) throws -> APIClient {
        guard let base = URL(string: url), base.scheme == "http" || base.scheme == "https" else {
            throw ValidationError("--url must be an http(s) URL such as http://127.0.0.1:8787; got \"\(url)\".")
        }
        return APIClient(base: base, account: account, token: token)
    }
}
