import ArgumentParser
import Brigade
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

/// A failed API call, with the server's `(code) message`.
struct APIFailure: Error, CustomStringConvertible {
    var status: Int
    var message: String
    var description: String { "HTTP \(status): \(message)" }
}

/// The v4 Workflows API over URLSession: one call returns the envelope's `result` (and
/// `result_info`), or throws the envelope's first error.
struct APIClient: Sendable {
    let base: URL
    let account: String
    let token: String

    var workflowsPath: String { "/client/v4/accounts/\(account)/workflows" }

    func request(_ method: String, _ path: String, query: [String: String] = [:], body: JSONValue? = nil) -> URLRequest {
        var components = URLComponents(url: base, resolvingAgainstBaseURL: false)!
        components.path = path
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = body.jsonData()
        }
        return request
    }

    func call(_ method: String, _ path: String, query: [String: String] = [:], body: JSONValue? = nil) async throws -> (
        result: JSONValue, info: JSONValue?
    ) {
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request(method, path, query: query, body: body))
        } catch {
            throw APIFailure(
                status: 0, message: "cannot reach \(base.absoluteString): \(error.localizedDescription). Is `brigade serve` running?")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard let envelope = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let object) = envelope else {
            throw APIFailure(status: status, message: String(decoding: data.prefix(500), as: UTF8.self))
        }
        guard object["success"] == .bool(true) else {
            var message = "request failed"
            if case .array(let errors)? = object["errors"], case .object(let first)? = errors.first,
                case .string(let text)? = first["message"]
            {
                message = text
            }
            throw APIFailure(status: status, message: message)
        }
        return (object["result"] ?? .null, object["result_info"])
    }

    /// `latest` stands for the most recently created instance, as in wrangler.
    func resolve(_ id: String, workflow: String) async throws -> String {
        guard id == "latest" else { return id }
        let (result, _) = try await call("GET", "\(workflowsPath)/\(workflow)/instances", query: ["per_page": "1", "direction": "desc"])
        guard case .string(let newest)? = result[0]?["id"] else {
            throw APIFailure(status: 404, message: "workflow \(workflow) has no instances, so there is no latest one")
        }
        return newest
    }
}

extension JSONValue {
    /// The value as display text: strings bare, null as "-", anything else as JSON.
    var text: String {
        switch self {
        case .string(let text): return text
        case .null: return "-"
        default: return String(decoding: jsonData(), as: UTF8.self)
        }
    }

    var items: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }

    static func parse(_ text: String, what: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw ValidationError("\(what) is not valid JSON: \(text)")
        }
    }
}
