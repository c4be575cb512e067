import ArgumentParser
import Brigade
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

    /// A JSON argument of the CLI: the JSON itself, `@FILE` for a file's contents, or `-` for
    /// standard input. Neither form is JSON, so nothing is taken for the other; the file forms are
    /// there because one argument cannot be longer than 128 KiB on Linux, and params and
    /// payloads can be up to 1 MiB.
    static func parse(_ text: String, what: String) throws -> JSONValue {
        let json: Data
        if text == "-" {
            json = FileHandle.standardInput.readDataToEndOfFile()
        } else if text.hasPrefix("@") {
            let path = String(text.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(what): cannot read the file \"\(path)\" (@FILE reads the JSON from a file).")
            }
            json = contents
        } else {
            json = Data(text.utf8)
        }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: json)
        } catch {
            // Not the whole text: it can be a megabyte.
            let shown = String(decoding: json.prefix(80), as: UTF8.self)
            throw ValidationError("\(what) is not valid JSON: \(shown)\(json.count > 80 ? "…" : "")")
        }
    }
}
