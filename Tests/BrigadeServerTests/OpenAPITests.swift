import Brigade
import BrigadeServer
import Foundation
import HTTPTypes
import Testing

/// `openapi.yaml` describes exactly the server's routes, and each of them is answered (not the
/// router's 404 or 405).
@Suite struct OpenAPITests {
    static func documentedRoutes() throws -> Set<BrigadeServer.Route> {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var routes = Set<BrigadeServer.Route>()
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths && !line.isEmpty && !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "),
                let method = ["get", "head", "post", "put", "patch", "delete", "options"].first(where: {
                    line == "    \($0):" || line.hasPrefix("    \($0): &") || line.hasPrefix("    \($0): *")
                })
            {
                routes.insert(BrigadeServer.Route(method: method.uppercased(), path: path))
            }
        }
        return routes
    }

    @Test func theDocumentListsExactlyTheServersRoutes() throws {
        let documented = try Self.documentedRoutes()
        let served = Set(BrigadeServer.routes)
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served))")
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented))")
        #expect(served.count == BrigadeServer.routes.count)
    }

    @Test func everyListedRouteIsAnswered() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(ServerHarness.workflows())/echo/instances", json: #"{"instance_id": "doc"}"#)
            for route in BrigadeServer.routes {
                let path = route.path
                    .replacingOccurrences(of: "{account_id}", with: "acme").replacingOccurrences(of: "{workflow_name}", with: "echo")
                    .replacingOccurrences(of: "{instance_id}", with: "doc").replacingOccurrences(of: "{event_type}", with: "ping")
                    .replacingOccurrences(of: "{tenant_id}", with: "globex").replacingOccurrences(of: "{path}", with: "any/where")
                let method = HTTPRequest.Method(route.method)!
                let token = path.hasPrefix("/admin/") ? api.admin : nil
                // A feed never ends: asked with a cursor it refuses, it answers at once (400).
                let isFeed = path.hasSuffix("/subscribe") && !path.contains("/instances/")
                let query = path.hasSuffix("/step") ? "?name=echo-1" : isFeed ? "?cursor=not-a-cursor" : ""
                let response = try await api.call(method, path + query, token: token, json: "{}")
                let message = response.body["errors"]?[0]?["message"]?.string ?? ""
                #expect(!message.contains("route."), "\(route) → \(response.status) \(message)")
                #expect(response.status != .methodNotAllowed && response.status != .internalServerError, "\(route)")
            }
        }
    }
}
