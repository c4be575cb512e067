import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

/// The admin token: tenant routes under `/admin/v1`, and acting as any existing account.
@Suite struct AdminTests {
    @Test func theAdminTokenManagesTenants() async throws {
        try await ServerHarness.run { api in
            let admin = try #require(api.admin)
            // A tenant's token does not open the admin routes.
            #expect(try await api.call(.get, "/admin/v1/tenants").status == .unauthorized)
            let listed = try await api.call(.get, "/admin/v1/tenants", token: admin)
            #expect(listed.status == .ok)
            #expect(listed.body["result"]?.array?.compactMap { $0["id"]?.string } == ["acme", "globex"])
            #expect(listed.body["result"]?[0]?["token"] == nil)

            let created = try await api.call(.post, "/admin/v1/tenants", token: admin, json: #"{"id": "initech"}"#)
            #expect(created.status == .ok)
            let token = try #require(created.body["result"]?["token"]?.string)
            #expect(try await api.call(.get, ServerHarness.workflows("initech"), token: token).status == .ok)
            // Its token is its own: acme's account is 404 to it.
            #expect(try await api.call(.get, ServerHarness.workflows("acme"), token: token).status == .notFound)

            let duplicate = try await api.call(.post, "/admin/v1/tenants", token: admin, json: #"{"id": "initech"}"#)
            #expect(duplicate.status == .conflict)
            let invalid = try await api.call(.post, "/admin/v1/tenants", token: admin, json: #"{"id": "no spaces"}"#)
            #expect(invalid.status == .badRequest)
            #expect(invalid.body["errors"]?[0]?["message"]?.string?.contains("tenant.invalid_id") == true)
            #expect(try await api.call(.post, "/admin/v1/tenants", token: admin, json: "{}").status == .badRequest)

            let rotated = try await api.call(.post, "/admin/v1/tenants/initech/token", token: admin)
            let fresh = try #require(rotated.body["result"]?["token"]?.string)
            #expect(fresh != token)
            #expect(try await api.call(.get, ServerHarness.workflows("initech"), token: token).status == .unauthorized)
            #expect(try await api.call(.get, ServerHarness.workflows("initech"), token: fresh).status == .ok)
            #expect(try await api.call(.post, "/admin/v1/tenants/nobody/token", token: admin).status == .notFound)
        }
    }

    @Test func theAdminTokenActsAsAnyExistingAccount() async throws {
        try await ServerHarness.run { api in
            let admin = try #require(api.admin)
            try await api.call(.post, "\(ServerHarness.workflows("globex"))/echo/instances", token: api.globex, json: #"{"instance_id": "g1"}"#)
            let seen = try await api.call(.get, "\(ServerHarness.workflows("globex"))/echo/instances", token: admin)
            #expect(seen.status == .ok)
            #expect(seen.body["result"]?.array?.compactMap { $0["id"]?.string } == ["g1"])
            // Acting as acme, it sees acme's instances only.
            let acme = try await api.call(.get, "\(ServerHarness.workflows("acme"))/echo/instances", token: admin)
            #expect(acme.body["result"]?.array?.isEmpty == true)
            #expect(try await api.call(.get, ServerHarness.workflows("nobody"), token: admin).status == .notFound)
        }
    }

    @Test func withoutAnAdminTokenTheAdminRoutesAreOff() async throws {
        try await ServerHarness.run(withAdminToken: false) { api in
            let off = try await api.call(.get, "/admin/v1/tenants")
            #expect(off.status == .forbidden)
            #expect(off.body["errors"]?[0]?["message"]?.string?.contains("--admin-token") == true)
        }
    }
}
