extension BrigadeServer {
    /// A route the server answers, in OpenAPI's spelling (`{name}` for a path parameter).
    public struct Route: Hashable, Sendable, CustomStringConvertible {
        public var method: String
        public var path: String
        public var description: String { "\(method) \(path)" }

        public init(method: String, path: String) {
            self.method = method
            self.path = path
        }
    }

    /// Every route ``addRoutes(to:)`` mounts. `openapi.yaml` describes exactly these (a test
    /// holds the two together, and checks that each is answered).
    public static let routes: [Route] = {
        let account = "/client/v4/accounts/{account_id}/workflows"
        let instance = "\(account)/{workflow_name}/instances/{instance_id}"
        return [
            Route(method: "GET", path: "/healthz"),
            Route(method: "GET", path: "/metrics"),
            Route(method: "GET", path: "/admin/v1/tenants"),
            Route(method: "POST", path: "/admin/v1/tenants"),
            Route(method: "POST", path: "/admin/v1/tenants/{tenant_id}/token"),
            Route(method: "GET", path: "/admin/v1/tenants/{tenant_id}/limits"),
            Route(method: "PUT", path: "/admin/v1/tenants/{tenant_id}/limits"),
            Route(method: "GET", path: account),
            Route(method: "GET", path: "\(account)/{workflow_name}"),
            Route(method: "PUT", path: "\(account)/{workflow_name}"),
            Route(method: "DELETE", path: "\(account)/{workflow_name}"),
            Route(method: "PUT", path: "\(account)/{workflow_name}/code"),
            Route(method: "GET", path: "\(account)/{workflow_name}/versions"),
            Route(method: "GET", path: "\(account)/{workflow_name}/versions/{version_id}"),
            Route(method: "POST", path: "\(account)/{workflow_name}/instances"),
            Route(method: "GET", path: "\(account)/{workflow_name}/instances"),
            Route(method: "POST", path: "\(account)/{workflow_name}/instances/batch"),
            Route(method: "POST", path: "\(account)/{workflow_name}/instances/batch/delete"),
            Route(method: "PUT", path: "\(account)/{workflow_name}/instances/terminate"),
            Route(method: "GET", path: instance),
            Route(method: "GET", path: "\(instance)/step"),
            Route(method: "PATCH", path: "\(instance)/status"),
            Route(method: "POST", path: "\(instance)/events/{event_type}"),
            Route(method: "GET", path: "\(instance)/subscribe"),
            Route(method: "GET", path: "\(account)/{workflow_name}/subscribe"),
            Route(method: "GET", path: "/client/v4/accounts/{account_id}/subscribe"),
        ] + BrigadeServer.dispatchMethods.map { Route(method: $0.rawValue, path: "/dispatch/{account_id}/{workflow_name}/{path}") }
    }()
}
