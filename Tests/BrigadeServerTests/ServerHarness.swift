@_spi(Stores) import Brigade
import BrigadeJS
import BrigadeServer
import BrigadeTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Synchronization
import Testing

/// Two tenants, `acme` and `globex`, each with a token, an admin token, and the routes in process.
struct ServerHarness {
    let brigade: TestBrigade
    let client: any TestClientProtocol
    let acme: String
    let globex: String
    /// The server's admin token, nil when it was started without one.
    let admin: String?
    /// The server, for routers of its own (the dispatch listener's).
    let server: BrigadeServer

    static func run(
        settings: BrigadeSettings = BrigadeSettings(),
        withAdminToken: Bool = true,
        databasePath: String? = nil,
        dispatchToken: String? = "",
        dashboard: Bool = true,
        _ body: @Sendable (ServerHarness) async throws -> Void
    ) async throws {
        let registry = PrometheusCollectorRegistry()
        var sandboxSettings = JavaScriptSandbox.Settings()
        sandboxSettings.cpuTimeLimit = .milliseconds(200)
        // As `brigade serve` does: each tenant's own egress (admin API) in place of the server's.
        let runtime = Mutex<BrigadeRuntime?>(nil)
        let sandbox = JavaScriptSandbox(settings: sandboxSettings) { tenant in
            EgressPolicy.forTenant(runtime.withLock { $0 }?.currentLimits(tenant: tenant) ?? .defaults, server: EgressPolicy())
        }
        let loader = Mutex<TenantCodeLoader?>(nil)
        try await TestBrigade.run(
            settings: settings,
            databasePath: databasePath,
            metricsFactory: BrigadeServer.metricsFactory(registry: registry),
            register: {
                try $0.register(Echo())
                try $0.register(Napper())
                try $0.register(Listener())
                try $0.register(Refuser())
                // Dynamic workflows: tenants' JavaScript.
                let made = $0.makeCodeLoader(sandbox: sandbox)
                runtime.withLock { [made = $0] in $0 = made }
                loader.withLock { $0 = made }
                try $0.register(BrigadeRuntime.codeDispatcher(loader: made))
            }
        ) { brigade in
            let acme = TenantToken.generate()
            let globex = TenantToken.generate()
            try await brigade.store.createTenant(TenantRecord(id: "acme", tokenHash: TenantToken.hash(acme), createdAt: 0))
            try await brigade.store.createTenant(TenantRecord(id: "globex", tokenHash: TenantToken.hash(globex), createdAt: 0))
            let admin = withAdminToken ? TenantToken.generate() : nil
            let server = BrigadeServer(
                runtime: brigade.runtime, tenants: brigade.store, metrics: registry, adminToken: admin, sandbox: sandbox,
                dispatch: dispatchToken.map { TenantDispatch(loader: loader.withLock { $0! }, token: $0.isEmpty ? nil : $0) },
                dashboard: dashboard)
            let app = Application(router: server.router())
            try await app.test(.router) { client in
                try await body(ServerHarness(brigade: brigade, client: client, acme: acme, globex: globex, admin: admin, server: server))
            }
        }
    }

    /// Sends a request and returns the status, the headers and the body as JSON.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: String? = nil
    ) async throws -> (status: HTTPResponse.Status, headers: HTTPFields, body: JSONValue) {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token ?? acme)"
        headers[.contentType] = "application/json"
        return try await client.execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) {
            response in
            let data = Data(response.body.readableBytesView)
            // Not every route answers JSON (the SSE stream, /healthz): those come back as a string.
            let body =
                data.isEmpty
                ? JSONValue.null : (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .string(String(decoding: data, as: UTF8.self))
            return (response.status, response.headers, body)
        }
    }

    /// The path of a workflow's routes for `account`.
    static func workflows(_ account: String = "acme") -> String { "/client/v4/accounts/\(account)/workflows" }
}

extension JSONValue {
    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}

/// Returns its params after one step.
struct Echo: Workflow {
    static var name: String { "echo" }
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        try await step.do("echo") { event.payload }
    }
}

/// Sleeps an hour (virtual), then completes.
struct Napper: Workflow {
    static var name: String { "napper" }
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> String {
        try await step.sleep("nap", for: .hours(1))
        return "rested"
    }
}

/// Waits for an `approval` event and returns its payload.
struct Listener: Workflow {
    static var name: String { "listener" }
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        let received = try await step.waitForEvent("approval", type: "approval", timeout: .hours(1))
        return received.payload
    }
}

/// Fails its one step for good on the first attempt.
struct Refuser: Workflow {
    static var name: String { "refuser" }
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        try await step.do("refuse") { () async throws -> JSONValue in throw NonRetryableError("no, never") }
    }
}
