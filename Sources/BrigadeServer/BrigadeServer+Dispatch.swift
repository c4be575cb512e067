import Brigade
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Tenant modules' `fetch` handlers over HTTP: `/dispatch/{account_id}/{workflow_name}/…`, every
/// method, the rest of the path and the query as the handler's URL. The account comes from the
/// path (these routes are the tenant's public API, as a Worker's are); an account or a workflow
/// that does not exist answers 404 like one without a handler.
extension BrigadeServer {
    static let dispatchMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    func addDispatchRoutes(to router: Router<BrigadeRequestContext>, _ dispatch: TenantDispatch) {
        for method in Self.dispatchMethods {
            for path in ["/dispatch/:account/:workflow", "/dispatch/:account/:workflow/**"] {
                router.on(RouterPath(path), method: method) { request, context in
                    try await serveDispatch(request, context, dispatch)
                }
            }
        }
    }

    /// The router of a dispatch listener (`brigade serve --dispatch-port`), as the seed routes: the
    /// account comes from the `x-tenant-id` header, the workflow from the first segment of the
    /// path, and the handler sees the rest (`/greeter/a/b` → `/a/b`).
    public func dispatchRouter(_ dispatch: TenantDispatch) -> Router<BrigadeRequestContext> {
        let router = Router(context: BrigadeRequestContext.self)
        router.add(middleware: ErrorEnvelopeMiddleware())
        for method in Self.dispatchMethods {
            for path in ["/:workflow", "/:workflow/**"] {
                router.on(RouterPath(path), method: method) { request, context in
                    guard let account = request.headers[HTTPField.Name("x-tenant-id")!], !account.isEmpty else {
                        throw APIError.badRequest(
                            .invalidRequestField, "A dispatch listener routes by the x-tenant-id header; send the account id in it.")
                    }
                    return try await serveDispatch(request, context, dispatch, account: account)
                }
            }
        }
        return router
    }

    /// A dispatch listener on its own port: ``dispatchRouter(_:)`` served, with the same
    /// connection limits as the API's.
    public func dispatchApplication(_ dispatch: TenantDispatch, host: String, port: Int) -> some ApplicationProtocol {
        let gate = self.gate
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGateHandler(gate: gate)], idleTimeout: TimeAmount(gate.limits.idleTimeout))
        return Application(
            router: dispatchRouter(dispatch), server: .http1(configuration: http),
            configuration: .init(address: .hostname(host, port: port), serverName: "brigade"), logger: logger)
    }

    private func serveDispatch(
        _ request: Request, _ context: BrigadeRequestContext, _ dispatch: TenantDispatch, account given: String? = nil
    ) async throws -> Response {
        if let token = dispatch.token {
            let given = request.headers[HTTPField.Name("x-brigade-dispatch-token")!] ?? ""
            guard TenantToken.hash(given) == TenantToken.hash(token) else {
                throw APIError.unauthenticated("this server's dispatch routes need its dispatch token in x-brigade-dispatch-token")
            }
        }
        let account = try given ?? context.parameters.require("account")
        let workflow = try context.parameters.require("workflow")
        // Another tenant's name and a name no one has answer the same.
        guard (try? TenantRecord.validate(id: account)) != nil else { throw BrigadeError.workflowNotFound(workflow) }
        if !knownAccounts.contains(account) {
            guard try await tenants.tenant(id: account) != nil else { throw BrigadeError.workflowNotFound(workflow) }
            knownAccounts.insert(account)
        }
        let rest = context.parameters.getCatchAll().joined(separator: "/")
        let query = request.uri.query.map { "?\($0)" } ?? ""
        let host = request.head.authority ?? "localhost"
        let fetchRequest = TenantFetchRequest(
            method: request.method.rawValue, url: "http://\(host)/\(rest)\(query)",
            headers: request.headers.map { HTTPHeaderField($0.name.canonicalName, $0.value) },
            body: try await rawBody(request, context))
        let answer: TenantFetchResponse
        do {
            answer = try await runtime.fetch(tenant: account, workflow: workflow, fetchRequest, loader: dispatch.loader)
        } catch let error as BrigadeError where error.code == .fetchHandlerFailed || error.code == .sandboxLimit {
            // What the tenant's code did wrong is the tenant's to read in its logs, not a caller's.
            logger.debug("a fetch handler failed", metadata: ["tenant": "\(account)", "workflow": "\(workflow)", "error": "\(error)"])
            throw APIError(
                status: .internalServerError, code: 10_500, .fetchHandlerFailed,
                "The workflow's fetch handler failed: it threw, returned something that is not a Response, or passed a limit.")
        }
        var headers = HTTPFields()
        for field in answer.headers {
            guard let name = HTTPField.Name(field.name) else { continue }
            headers.append(HTTPField(name: name, value: field.value))
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
