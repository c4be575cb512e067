import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

/// Creation limits over HTTP: past an account's or a workflow's rate, 429 with Retry-After and
/// Cloudflare's error envelope; one account's limit leaves another's creations alone.
@Suite struct LimitsAPITests {
    let base = ServerHarness.workflows()

    @Test func pastTheAccountRateA429SaysWhenToRetry() async throws {
        var settings = BrigadeSettings()
        settings.creationRatePerAccount = 2
        settings.creationBurst = .seconds(1)
        try await ServerHarness.run(settings: settings) { api in
            var statuses: [HTTPResponse.Status] = []
            var refused: (status: HTTPResponse.Status, headers: HTTPFields, body: JSONValue)?
            for index in 0..<4 {
                let answer = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "r\#(index)"}"#)
                statuses.append(answer.status)
                if answer.status == .tooManyRequests { refused = answer }
            }
            #expect(statuses.prefix(2).allSatisfy { $0 == .ok }, "\(statuses)")
            let answer = try #require(refused, "the third creation within the second must be refused")
            let retryAfter = try #require(answer.headers[HTTPField.Name("Retry-After")!].flatMap(Int.init))
            #expect((1...2).contains(retryAfter))
            #expect(answer.body["success"] == .bool(false))
            #expect(answer.body["errors"]?[0]?["message"]?.string?.contains("rate_limited") == true)
            #expect(answer.body["errors"]?[0]?["message"]?.string?.contains("account \"acme\"") == true)
            // Another account has buckets of its own.
            let theirs = try await api.call(.post, ServerHarness.workflows("globex") + "/echo/instances", token: api.globex, json: "{}")
            #expect(theirs.status == .ok)
        }
    }

    @Test func pastAWorkflowsRateOnlyThatWorkflowWaits() async throws {
        var settings = BrigadeSettings()
        settings.creationRatePerWorkflow = 1
        settings.creationBurst = .seconds(1)
        try await ServerHarness.run(settings: settings) { api in
            #expect(try await api.call(.post, "\(base)/echo/instances", json: "{}").status == .ok)
            let second = try await api.call(.post, "\(base)/echo/instances", json: "{}")
            #expect(second.status == .tooManyRequests)
            #expect(second.headers[HTTPField.Name("Retry-After")!] != nil)
            #expect(second.body["errors"]?[0]?["message"]?.string?.contains("workflow \"echo\"") == true)
            #expect(try await api.call(.post, "\(base)/napper/instances", json: "{}").status == .ok, "another workflow is not held")
        }
    }

    @Test func theOperatorSetsOneAccountsLimitsOverTheAdminAPI() async throws {
        try await ServerHarness.run { api in
            let admin = try #require(api.admin)
            let path = "/admin/v1/tenants/acme/limits"
            // Only the admin token opens them; an unknown tenant is a 404.
            #expect(try await api.call(.get, path).status == .unauthorized)
            #expect(try await api.call(.get, "/admin/v1/tenants/nobody/limits", token: admin).status == .notFound)
            let before = try await api.call(.get, path, token: admin)
            #expect(before.body["result"]?["limits"]?["creation_rate"] == .null)
            #expect(before.body["result"]?["effective"]?["max_running"] == 50_000)

            let set = try await api.call(.put, path, token: admin, json: #"{"creation_rate": 1, "max_running": 7}"#)
            #expect(set.status == .ok, "\(set.body)")
            #expect(set.body["result"]?["limits"]?["creation_rate"] == 1)
            #expect(set.body["result"]?["effective"]?["max_running"] == 7)
            #expect(try await api.call(.post, "\(base)/echo/instances", json: "{}").status == .ok)
            let refused = try await api.call(.post, "\(base)/echo/instances", json: "{}")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[HTTPField.Name("Retry-After")!] != nil)
            // globex keeps the server's settings.
            for _ in 0..<3 {
                #expect(
                    try await api.call(.post, ServerHarness.workflows("globex") + "/echo/instances", token: api.globex, json: "{}").status
                        == .ok)
            }
            // Bad values say which and why; nothing changes.
            for (body, says) in [
                (#"{"max_running": 0}"#, "max_running must be a whole number from 1"),
                (#"{"creation_rate": "fast"}"#, "creation_rate must be a number"),
                (#"{"max_running": 1e300}"#, "max_running must be a whole number"), (#"{"creation_rate": 1e300}"#, "creation_rate must be"),
                (#"{"max_runing": 3}"#, "Unknown limit \"max_runing\""), (#"[1]"#, "must be a JSON object"),
            ] {
                let bad = try await api.call(.put, path, token: admin, json: body)
                #expect(bad.status == .badRequest, "\(body)")
                #expect(bad.body["errors"]?[0]?["message"]?.string?.contains(says) == true, "\(bad.body)")
            }
            #expect(try await api.call(.get, path, token: admin).body["result"]?["limits"]?["max_running"] == 7)
            // Removed: the settings again.
            _ = try await api.call(.put, path, token: admin, json: "{}")
            #expect(try await api.call(.get, path, token: admin).body["result"]?["limits"]?["creation_rate"] == .null)
        }
    }

    /// What one tenant's code may fetch, set by the operator: its own hosts, none, or a private
    /// host it is trusted with — in force at the next fetch, without a redeploy.
    @Test func theOperatorSetsOneTenantsEgress() async throws {
        let module = """
            export class TenantWorkflow { async run() { return 'unused'; } }
            export default {
              async fetch(request) {
                try { await fetch('http://127.0.0.1:1/'); return new Response('fetched'); } catch (e) { return new Response(`${e.name}: ${e.message}`); }
              },
            };
            """
        try await ServerHarness.run { api in
            let admin = try #require(api.admin)
            let path = "/admin/v1/tenants/acme/limits"
            let upload = #"{"source": \#(String(decoding: try JSONEncoder().encode(module), as: UTF8.self))}"#
            #expect(try await api.call(.put, "\(base)/probe/code", json: upload).status == .ok)
            func fetched() async throws -> String {
                try await api.client.execute(uri: "/dispatch/acme/probe/", method: .get) { String(buffer: $0.body) }
            }
            // The server's policy: loopback is private, refused.
            #expect(try await fetched().contains("which tenant code may not reach"))
            let before = try await api.call(.get, path, token: admin).body["result"]
            #expect(before?["limits"]?["fetch_hosts"] == .null && before?["effective"]?["fetch_hosts"] == ["*"])

            // A private host:port the operator trusts this tenant with: the fetch is made (and
            // fails only because nothing listens there).
            let trusted = try await api.call(.put, path, token: admin, json: #"{"fetch_private_hosts": ["127.0.0.1:1"]}"#)
            #expect(trusted.status == .ok, "\(trusted.body)")
            #expect(trusted.body["result"]?["effective"]?["fetch_private_hosts"] == ["127.0.0.1:1"])
            let attempted = try await fetched()
            #expect(attempted.hasPrefix("TypeError: fetch:") && !attempted.contains("may not reach"), "\(attempted)")

            // Its own hosts only; then none at all.
            #expect(
                try await api.call(.put, path, token: admin, json: #"{"fetch_hosts": ["api.example.com", "*.example.org"]}"#).status == .ok)
            #expect(try await fetched() == "TypeError: fetch: 127.0.0.1 is not a host this tenant may reach")
            #expect(try await api.call(.put, path, token: admin, json: #"{"fetch_hosts": []}"#).status == .ok)
            #expect(try await fetched() == "TypeError: fetch: this tenant's code may not reach the network")
            let shown = try await api.call(.get, path, token: admin).body["result"]
            #expect(shown?["limits"]?["fetch_hosts"] == [] && shown?["effective"]?["fetch_hosts"] == [])
            // globex keeps the server's policy.
            let theirs = try await api.call(.get, "/admin/v1/tenants/globex/limits", token: admin).body["result"]
            #expect(theirs?["effective"]?["fetch_hosts"] == ["*"])

            for (body, says) in [
                (#"{"fetch_hosts": "api.example.com"}"#, "fetch_hosts must be an array of host names"),
                (#"{"fetch_hosts": ["Bad Host"]}"#, "\"Bad Host\" is not a lower-case host name"),
                (#"{"fetch_hosts": [1]}"#, "must be an array of host names or null; got 1"),
                (#"{"fetch_private_hosts": ["db.internal"]}"#, "\"db.internal\" is not host:port"),
                (#"{"fetch_private_hosts": ["db.internal:99999"]}"#, "is not host:port"),
                (#"{"fetch_hosts": ["a..b"]}"#, "is not a lower-case host name"),
            ] {
                let bad = try await api.call(.put, path, token: admin, json: body)
                #expect(bad.status == .badRequest, "\(body)")
                #expect(bad.body["errors"]?[0]?["message"]?.string?.contains(says) == true, "\(bad.body)")
            }
            let many = "[" + (0...100).map { "\"h\($0).example.com\"" }.joined(separator: ",") + "]"
            #expect(try await api.call(.put, path, token: admin, json: #"{"fetch_hosts": \#(many)}"#).status == .badRequest)
        }
    }
}
