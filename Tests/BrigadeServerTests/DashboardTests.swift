import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import BrigadeServer

/// The dashboard's server side: signing in, the session cookie standing for the account on the
/// API, the CSRF token every change needs, pages escaped by construction, another account's
/// instance a not-found page. What the pages do in a browser is scripts/browser-test.py's.
@Suite struct DashboardTests {
    struct Page {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var text: String
    }

    static func request(
        _ api: ServerHarness, _ method: HTTPRequest.Method, _ path: String, cookie: String? = nil, csrf: String? = nil,
        form: String? = nil, json: String? = nil
    ) async throws -> Page {
        var headers = HTTPFields()
        if let cookie { headers[.cookie] = "\(DashboardSessions.cookieName)=\(cookie)" }
        if let csrf { headers[HTTPField.Name("x-brigade-csrf")!] = csrf }
        if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await api.client.execute(
            uri: path, method: method, headers: headers, body: (form ?? json).map { ByteBuffer(string: $0) }
        ) {
            Page(status: $0.status, headers: $0.headers, text: String(buffer: $0.body))
        }
    }

    /// Signs in with `token`: the session id from the cookie, and the CSRF token the page carries.
    static func signIn(_ api: ServerHarness, token: String) async throws -> (cookie: String, csrf: String) {
        let answer = try await request(api, .post, "/login", form: "token=\(token)")
        #expect(answer.status == .seeOther && answer.headers[.location] == "/")
        let setCookie = try #require(answer.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        let cookie = try #require(setCookie.firstMatch(of: /brigade_session=([^;]+)/).map { String($0.1) })
        let page = try await request(api, .get, "/", cookie: cookie)
        let csrf = try #require(page.text.firstMatch(of: /data-csrf="([^"]+)"/).map { String($0.1) })
        return (cookie, csrf)
    }

    @Test func signingInOpensTheAccountsPagesAndNothingElse() async throws {
        try await ServerHarness.run { api in
            let away = try await Self.request(api, .get, "/")
            #expect(away.status == .seeOther && away.headers[.location] == "/login")
            let login = try await Self.request(api, .get, "/login")
            #expect(login.status == .ok && login.text.contains(#"<input id="token" name="token" type="password""#))
            let refused = try await Self.request(api, .post, "/login", form: "token=brg_nonsense")
            #expect(refused.status == .unauthorized && refused.text.contains("That token is not valid"))
            #expect(refused.headers[.setCookie] == nil)

            let (cookie, csrf) = try await Self.signIn(api, token: api.acme)
            let page = try await Self.request(api, .get, "/", cookie: cookie)
            #expect(page.status == .ok && page.text.contains(#"data-account="acme""#))
            let policy = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!page.text.contains(api.acme), "the token is nowhere in the page")
            // A forged or stale cookie is no session.
            #expect(try await Self.request(api, .get, "/", cookie: "brg_0000").status == .seeOther)
            #expect(try await Self.request(api, .get, "/", cookie: "<script>").status == .seeOther)

            // Signing out needs the page's CSRF token; then the cookie is dead.
            #expect(try await Self.request(api, .post, "/logout", cookie: cookie, form: "_csrf=wrong").status == .forbidden)
            #expect(try await Self.request(api, .post, "/logout", cookie: cookie, form: "_csrf=\(csrf)").status == .seeOther)
            #expect(try await Self.request(api, .get, "/", cookie: cookie).status == .seeOther)
        }
    }

    @Test func theSessionCookieActsAsItsAccountAndEveryChangeNeedsTheCSRFToken() async throws {
        try await ServerHarness.run { api in
            let (cookie, csrf) = try await Self.signIn(api, token: api.acme)
            let base = ServerHarness.workflows()
            #expect(try await Self.request(api, .get, base, cookie: cookie).status == .ok)
            // Another account through acme's session: 404, as with a token.
            #expect(try await Self.request(api, .get, ServerHarness.workflows("globex"), cookie: cookie).status == .notFound)
            let created = try await Self.request(api, .post, "\(base)/napper/instances", cookie: cookie, json: #"{"instance_id": "n1"}"#)
            #expect(created.status == .forbidden && created.text.contains("session.csrf_missing"), "\(created.text)")
            let forged = try await Self.request(
                api, .post, "\(base)/napper/instances", cookie: cookie, csrf: "brg_guess", json: #"{"instance_id": "n1"}"#)
            #expect(forged.status == .forbidden)
            let made = try await Self.request(
                api, .post, "\(base)/napper/instances", cookie: cookie, csrf: csrf, json: #"{"instance_id": "n1"}"#)
            #expect(made.status == .ok, "\(made.text)")
            // A bearer token still works beside it, and wins when both are sent.
            #expect(try await api.call(.get, "\(base)/napper/instances/n1").status == .ok)
        }
    }

    @Test func pagesAreEscapedAndAnotherAccountsInstanceIsNotFound() async throws {
        try await ServerHarness.run { api in
            _ = try await api.call(.post, "\(ServerHarness.workflows())/napper/instances", json: #"{"instance_id": "mine"}"#)
            _ = try await api.call(
                .post, "\(ServerHarness.workflows("globex"))/napper/instances", token: api.globex, json: #"{"instance_id": "theirs"}"#)
            let (cookie, _) = try await Self.signIn(api, token: api.acme)
            #expect(try await Self.request(api, .get, "/workflows/napper/instances/mine", cookie: cookie).status == .ok)
            let theirs = try await Self.request(api, .get, "/workflows/napper/instances/theirs", cookie: cookie)
            #expect(theirs.status == .notFound && theirs.text.contains("<h1>Not found</h1>"))
            let hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22onload=%22x"
            let page = try await Self.request(api, .get, "/workflows/\(hostile)", cookie: cookie)
            #expect(page.status == .ok)
            #expect(!page.text.contains("<script>alert"), "the name is text")
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;onload=&quot;x"))
        }
    }

    @Test func theAdminSwitchesAccountsAndTheDashboardCanBeOff() async throws {
        try await ServerHarness.run { api in
            let admin = try #require(api.admin)
            let (cookie, csrf) = try await Self.signIn(api, token: admin)
            #expect(try await Self.request(api, .post, "/account", cookie: cookie, form: "account=globex&_csrf=wrong").status == .forbidden)
            #expect(
                try await Self.request(api, .post, "/account", cookie: cookie, form: "account=globex&_csrf=\(csrf)").status == .seeOther)
            #expect(try await Self.request(api, .get, "/", cookie: cookie).text.contains(#"data-account="globex""#))
            // A tenant's session cannot switch.
            let (tenant, tenantCSRF) = try await Self.signIn(api, token: api.acme)
            #expect(
                try await Self.request(api, .post, "/account", cookie: tenant, form: "account=globex&_csrf=\(tenantCSRF)").status
                    == .forbidden)
        }
        try await ServerHarness.run(dashboard: false) { api in
            let login = try await Self.request(api, .get, "/login")
            #expect(login.status == .notFound)
            #expect(try await Self.request(api, .get, "/ui/app.js").status == .notFound)
        }
    }

    @Test func htmlEscapesEveryInterpolatedString() {
        let name = #"<a href="x" onclick='y'>&</a>"#
        let html: HTML = "<p title=\"\(name)\">\(name)</p>"
        #expect(
            html.description
                == #"<p title="&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;">&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;</p>"#
        )
        let inner: HTML = "<b>\(name)</b>"
        #expect(HTML("<i>\(inner)</i>").description.hasPrefix("<i><b>&lt;a"), "HTML inside HTML is kept as markup")
    }
}
