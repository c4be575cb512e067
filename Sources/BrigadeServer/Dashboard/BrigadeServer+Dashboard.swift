import Brigade
import Foundation
import HTTPTypes
import Hummingbird

/// The dashboard and the playground, served at `/` by `brigade serve` (``BrigadeServer/dashboard``
/// turns them off): pages signed in with a tenant's token (or the admin token) at `/login`, the
/// session in a cookie. Each page is a shell rendered here, escaped by construction (``HTML``);
/// what it shows comes from the Workflows API and its event streams, called by the page's script
/// with the session's cookie and, for every change, the session's CSRF token in a header.
extension BrigadeServer {
    func addDashboardRoutes(to router: Router<BrigadeRequestContext>) {
        router.get("/login") { request, _ in
            if sessions.session(for: request) != nil { return Self.redirect("/") }
            return DashboardPage.login(error: nil).response(status: .ok)
        }
        router.post("/login") { request, context in
            let form = try await Self.form(request, context)
            let token = (form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty, token.count <= 256 else {
                return DashboardPage.login(error: "Type a tenant's token (brigade serve prints the default one).").response(
                    status: .unauthorized)
            }
            let hash = TenantToken.hash(token)
            let opened: (id: String, session: DashboardSessions.Session)
            if hash == adminTokenHash {
                guard let first = try await tenants.tenants().first else {
                    return DashboardPage.login(error: "There is no account yet: create one with brigade tenants create.").response(
                        status: .unauthorized)
                }
                opened = sessions.open(account: first.id, isAdmin: true)
            } else if let tenant = try await tenants.tenant(tokenHash: hash) {
                opened = sessions.open(account: tenant.id, isAdmin: false)
            } else {
                return DashboardPage.login(error: "That token is not valid; brigade tenants rotate-token issues a new one.").response(
                    status: .unauthorized)
            }
            var response = Self.redirect("/")
            response.headers[.setCookie] = DashboardSessions.setCookie(opened.id)
            return response
        }
        router.post("/logout") { request, context in
            if let (id, session) = sessions.session(for: request) {
                let form = try await Self.form(request, context)
                guard form["_csrf"] == session.csrf else { return Self.forbidden() }
                sessions.close(id)
            }
            var response = Self.redirect("/login")
            response.headers[.setCookie] = DashboardSessions.clearCookie
            return response
        }
        // The admin's account switch.
        router.post("/account") { request, context in
            guard let (id, session) = sessions.session(for: request) else { return Self.redirect("/login") }
            let form = try await Self.form(request, context)
            guard form["_csrf"] == session.csrf, session.isAdmin else { return Self.forbidden() }
            let account = form["account"] ?? ""
            guard (try? TenantRecord.validate(id: account)) != nil, try await tenants.tenant(id: account) != nil else {
                return Self.redirect("/")
            }
            sessions.update(id) { $0.account = account }
            return Self.redirect("/")
        }
        router.get("/") { request, _ in
            try await page(request) { session in DashboardPage.workflows(session) }
        }
        router.get("/workflows/:workflow") { request, context in
            let name = try Self.pathParameter("workflow", context)
            return try await page(request) { session in DashboardPage.workflow(session, name: name) }
        }
        router.get("/workflows/:workflow/instances/:id") { request, context in
            let name = try Self.pathParameter("workflow", context)
            let id = try Self.pathParameter("id", context)
            return try await page(request) { session in
                // Another account's instance, or none: the same not-found page.
                let key = InstanceKey(tenant: session.account, workflow: name, id: id)
                guard (try? await runtime.instanceRow(key)) != nil else { return nil }
                return DashboardPage.instance(session, workflow: name, id: id)
            }
        }
        router.get("/playground") { request, _ in
            try await page(request) { session in DashboardPage.playground(session, codeMirror: DashboardAssets.codeMirror != nil) }
        }
        router.get("/ui/app.js") { _, _ in Self.asset(DashboardAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/ui/app.css") { _, _ in Self.asset(DashboardAssets.style, type: "text/css; charset=utf-8") }
        // CodeMirror from Debian's libjs-codemirror, when the machine has it: three files, by name.
        router.get("/ui/codemirror/:file") { _, context in
            let file = try context.parameters.require("file")
            guard let found = DashboardAssets.codeMirror?[file] else { return Response(status: .notFound) }
            return Self.asset(found.text, type: found.type)
        }
    }

    /// A signed-in page: the session's, or a redirect to `/login`; nil from `render` is a 404.
    private func page(_ request: Request, _ render: (DashboardSessions.Session) async throws -> HTML?) async throws -> Response {
        guard let (_, session) = sessions.session(for: request) else { return Self.redirect("/login") }
        guard let html = try await render(session) else {
            return DashboardPage.notFound(session).response(status: .notFound)
        }
        return html.response(status: .ok)
    }

    /// A path parameter as the page's script wrote it, percent-decoded (`encodeURIComponent`).
    static func pathParameter(_ name: String, _ context: BrigadeRequestContext) throws -> String {
        let raw = try context.parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func forbidden() -> Response {
        Response(
            status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(
                byteBuffer: ByteBuffer(string: "The form's CSRF token is missing or stale; reload the page and try again.\n")))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// An `application/x-www-form-urlencoded` body of at most 8 KiB, as name → value.
    static func form(_ request: Request, _ context: BrigadeRequestContext) async throws -> [String: String] {
        var request = request
        let buffer = try await request.collectBody(upTo: 8_192)
        var components = URLComponents()
        components.percentEncodedQuery = String(buffer: buffer).replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] where fields[item.name] == nil { fields[item.name] = item.value ?? "" }
        return fields
    }
}

extension HTML {
    /// The page as a response, with the headers that keep it to itself: no script but its own
    /// files (a name that got past the escaping would still not run), no framing, no caching.
    func response(status: HTTPResponse.Status) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
