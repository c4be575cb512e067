import Brigade
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus

/// Brigade's HTTP API: Cloudflare's v4 Workflows routes under
/// `/client/v4/accounts/{account_id}/workflows…`, answered by a ``BrigadeRuntime`` for the tenant
/// the bearer token belongs to.
///
/// Use ``application(host:port:)`` for a standalone server, or ``addRoutes(to:)`` to mount the
/// routes on an embedding program's own router (which must use ``BrigadeRequestContext``).
public struct BrigadeServer: Sendable {
    public let runtime: BrigadeRuntime
    public let tenants: any TenantStore
    /// What `GET /metrics` serves.
    public let metrics: PrometheusCollectorRegistry
    /// Runs tenants' uploaded code (dynamic workflows); without one, uploads answer 404.
    public let sandbox: (any WorkflowSandbox)?
    /// Serves tenant modules' `fetch` handlers at `/dispatch/…`; nil: off.
    public let dispatch: TenantDispatch?
    /// The hosts tenants' `fetch()` may reach unless a tenant has its own (`*`: any public host;
    /// none: no outbound fetch), for the admin API to show what is in force.
    public let fetchHosts: [String]
    /// SHA-256 of the admin token, when the server has one.
    let adminTokenHash: String?
    let logger: Logger
    /// Open connections and event streams, within the server's ``ConnectionLimits``.
    let gate: ConnectionGate
    /// Accounts a dispatch request found: a tenant is never deleted, so one seen exists, and
    /// the next request to it skips a store read (a thread hop on every call of a handler).
    let knownAccounts = KnownAccounts()
    /// Whether `/`, `/login`, `/workflows/…` and `/playground` serve the dashboard.
    public let dashboard: Bool
    /// The dashboard's signed-in browsers.
    let sessions = DashboardSessions()

    /// - Parameters:
    ///   - metrics: the registry `GET /metrics` serves; give the runtime and the store a factory
    ///     on it (``metricsFactory(registry:)``) for the engine's metrics to appear there.
    ///   - adminToken: the operator's token: it opens the admin routes (`/admin/v1/tenants…`)
    ///     and acts as any existing account on the Workflows routes. Without one the admin
    ///     routes answer 403. Only its hash is kept.
    ///   - sandbox: runs the code tenants upload (`PUT …/workflows/{name}/code`); the runtime
    ///     must have a ``DynamicWorkflow`` registered that loads it (see
    ///     ``BrigadeRuntime/codeDispatcher(loader:)``).
    ///   - connectionLimits: connections, streams and timeouts one client, one tenant and all
    ///     together may hold.
    ///   - dispatch: serves the `fetch` handlers of tenants' modules at
    ///     `/dispatch/{account_id}/{workflow_name}/…`; nil turns the routes off.
    ///   - fetchHosts: the sandbox's egress policy for tenants without their own, as the admin
    ///     API shows it (`*`: any public host; empty: none).
    ///   - dashboard: serve the dashboard and the playground at `/` (signed in at `/login`).
    public init(
        runtime: BrigadeRuntime, tenants: any TenantStore, metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        adminToken: String? = nil, sandbox: (any WorkflowSandbox)? = nil, connectionLimits: ConnectionLimits = ConnectionLimits(),
        dispatch: TenantDispatch? = nil, fetchHosts: [String] = ["*"], dashboard: Bool = true,
        logger: Logger = Logger(label: "brigade.server")
    ) {
        self.dispatch = dispatch
        self.dashboard = dashboard
        self.fetchHosts = fetchHosts
        self.gate = ConnectionGate(limits: connectionLimits)
        self.sandbox = sandbox
        self.adminTokenHash = adminToken.map(TenantToken.hash)
        self.runtime = runtime
        self.tenants = tenants
        self.metrics = metrics
        self.logger = logger
    }

    /// Connections open now (those ``application(host:port:onListening:)`` accepts).
    public var openConnections: Int { gate.counts.connections }
    /// Event streams open now, of every tenant.
    public var openStreams: Int { gate.counts.streams }

    /// Adds every route, the error envelope and the tenant check to `router`.
    public func addRoutes(to router: Router<BrigadeRequestContext>) {
        router.add(middleware: ErrorEnvelopeMiddleware())
        router.get("/healthz") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n"))) }
        addMetricsRoute(to: router)
        addAdminRoutes(to: router.group("/admin/v1").add(middleware: AdminAuthenticator(adminTokenHash: adminTokenHash)))
        let account = router.group("/client/v4/accounts/:account").add(
            middleware: TenantAuthenticator(tenants: tenants, adminTokenHash: adminTokenHash, sessions: sessions))
        addWorkflowRoutes(to: account)
        addCodeRoutes(to: account)
        addInstanceRoutes(to: account)
        addEventStreamRoute(to: account)
        if let dispatch { addDispatchRoutes(to: router, dispatch) }
        if dashboard { addDashboardRoutes(to: router) }
    }

    /// A router with Brigade's routes.
    public func router() -> Router<BrigadeRequestContext> {
        let router = Router(context: BrigadeRequestContext.self)
        addRoutes(to: router)
        return router
    }

    /// A Hummingbird application serving the routes: a `Service` to run in the same
    /// `ServiceGroup` as the runtime, so that SIGTERM stops intake first and lets the engine
    /// drain.
    ///
    /// Its router also records Hummingbird's request metrics (`hb_requests` and friends, by
    /// route pattern) through the bootstrapped `MetricsSystem`.
    ///
    /// `onListening` is told the port once the server listens (useful with port 0).
    public func application(
        host: String = "127.0.0.1", port: Int = 8787, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: BrigadeRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        addRoutes(to: router)
        let gate = self.gate
        // Every connection is admitted by the gate, and closed after `idleTimeout` without a
        // byte of a request (a slow client's headers included).
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGateHandler(gate: gate)], idleTimeout: TimeAmount(gate.limits.idleTimeout))
        return Application(
            router: router, server: .http1(configuration: http),
            configuration: .init(address: .hostname(host, port: port), serverName: "brigade"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) }, logger: logger)
    }
}
