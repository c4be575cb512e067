import ArgumentParser
import Brigade
import BrigadeJS
import BrigadePostgres
import BrigadeSQLite
import BrigadeServer
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `brigade serve`: the engine and the HTTP API in one process, on a SQLite file or a
/// PostgreSQL database.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the engine and the Cloudflare-compatible HTTP API (with the example workflows) on a SQLite file or PostgreSQL."
    )

    @Option(name: .long, help: "The SQLite database file, or a postgres://user[:password]@host[:port]/database URL (env BRIGADE_DB).")
    var db: String = ProcessInfo.processInfo.environment["BRIGADE_DB"] ?? "brigade.sqlite"

    @Option(name: .long, help: "The address to listen on (env BRIGADE_HOST).")
    var host: String = ProcessInfo.processInfo.environment["BRIGADE_HOST"] ?? "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (env BRIGADE_PORT).")
    var port: Int = ProcessInfo.processInfo.environment["BRIGADE_PORT"].flatMap(Int.init) ?? 8787

    @Option(
        name: .long,
        help: "The operator's token (env BRIGADE_ADMIN_TOKEN, at least 32 characters): opens /admin/v1 and acts as any account.")
    var adminToken: String = ProcessInfo.processInfo.environment["BRIGADE_ADMIN_TOKEN"] ?? ""

    @Option(name: .long, help: "CPU time one entry into tenant JavaScript may use, in milliseconds (env BRIGADE_JS_CPU_MS).")
    var jsCpuMs: Int = ProcessInfo.processInfo.environment["BRIGADE_JS_CPU_MS"].flatMap(Int.init) ?? 1_000

    @Option(name: .long, help: "Memory one entry into tenant JavaScript may add, in MiB (env BRIGADE_JS_MEMORY_MB).")
    var jsMemoryMb: Int = ProcessInfo.processInfo.environment["BRIGADE_JS_MEMORY_MB"].flatMap(Int.init) ?? 64

    @Option(
        name: .long,
        help: "Heap of one shared JavaScript VM (all its tenants) past which it is replaced, in MiB (env BRIGADE_JS_VM_MEMORY_MB).")
    var jsVmMemoryMb: Int = ProcessInfo.processInfo.environment["BRIGADE_JS_VM_MEMORY_MB"].flatMap(Int.init) ?? 256

    @Option(name: .long, help: "JavaScript VMs kept at least, tenants spread over them (env BRIGADE_JS_VMS; default: cores, at least 2).")
    var jsVms: Int =
        ProcessInfo.processInfo.environment["BRIGADE_JS_VMS"].flatMap(Int.init) ?? max(2, ProcessInfo.processInfo.activeProcessorCount)

    @Option(name: .long, help: "Tenant code runners one JavaScript VM holds before another VM is started (env BRIGADE_JS_RUNNERS_PER_VM).")
    var jsRunnersPerVm: Int = ProcessInfo.processInfo.environment["BRIGADE_JS_RUNNERS_PER_VM"].flatMap(Int.init) ?? 32

    @Option(name: .long, help: "Most tenant code runners kept booted (env BRIGADE_RUNNER_CACHE).")
    var runnerCache: Int = ProcessInfo.processInfo.environment["BRIGADE_RUNNER_CACHE"].flatMap(Int.init) ?? 256

    @Option(name: .long, help: "Seconds an unused tenant code runner is kept (env BRIGADE_RUNNER_IDLE_SECONDS).")
    var runnerIdleSeconds: Int = ProcessInfo.processInfo.environment["BRIGADE_RUNNER_IDLE_SECONDS"].flatMap(Int.init) ?? 300

    @Option(name: .long, help: "Open connections in all; past it a new one is answered 503 (env BRIGADE_MAX_CONNECTIONS).")
    var maxConnections: Int = ProcessInfo.processInfo.environment["BRIGADE_MAX_CONNECTIONS"].flatMap(Int.init) ?? 4_096

    @Option(name: .long, help: "Open connections from one client address (env BRIGADE_MAX_CONNECTIONS_PER_CLIENT).")
    var maxConnectionsPerClient: Int = ProcessInfo.processInfo.environment["BRIGADE_MAX_CONNECTIONS_PER_CLIENT"].flatMap(Int.init) ?? 256

    @Option(name: .long, help: "Open event streams of one tenant; past it a new one is answered 429 (env BRIGADE_MAX_STREAMS_PER_TENANT).")
    var maxStreamsPerTenant: Int = ProcessInfo.processInfo.environment["BRIGADE_MAX_STREAMS_PER_TENANT"].flatMap(Int.init) ?? 64

    @Option(
        name: .long,
        help: "Seconds a connection may send nothing (a half-sent request included) before it is closed (env BRIGADE_IDLE_TIMEOUT_SECONDS)."
    )
    var idleTimeoutSeconds: Int = ProcessInfo.processInfo.environment["BRIGADE_IDLE_TIMEOUT_SECONDS"].flatMap(Int.init) ?? 30

    @Option(name: .long, help: "Seconds a request body may take to arrive; past it 408 (env BRIGADE_BODY_TIMEOUT_SECONDS).")
    var bodyTimeoutSeconds: Int = ProcessInfo.processInfo.environment["BRIGADE_BODY_TIMEOUT_SECONDS"].flatMap(Int.init) ?? 30

    @Option(
        name: .long,
        help:
            "This node's name in a cluster on PostgreSQL (env BRIGADE_NODE_ID; default the host name). Two processes on one host need names of their own."
    )
    var nodeId: String = ProcessInfo.processInfo.environment["BRIGADE_NODE_ID"] ?? BrigadeSettings().nodeID

    @Option(
        name: .long,
        help:
            "How long a node's leases last without a heartbeat, in milliseconds: a dead node's work moves after about this (env BRIGADE_LEASE_TTL_MS)."
    )
    var leaseTtlMs: Int = ProcessInfo.processInfo.environment["BRIGADE_LEASE_TTL_MS"].flatMap(Int.init) ?? 6_000

    @Option(name: .long, help: "How often a node renews its leases, in milliseconds (env BRIGADE_HEARTBEAT_MS).")
    var heartbeatMs: Int = ProcessInfo.processInfo.environment["BRIGADE_HEARTBEAT_MS"].flatMap(Int.init) ?? 1_000

    @Option(name: .long, help: "Instances of one account running at once, over the whole cluster (env BRIGADE_MAX_RUNNING).")
    var maxRunning: Int =
        ProcessInfo.processInfo.environment["BRIGADE_MAX_RUNNING"].flatMap(Int.init) ?? BrigadeSettings().maxRunningPerAccount

    @Option(
        name: .long,
        help: "Instances of one workflow running at once, per account (env BRIGADE_MAX_RUNNING_PER_WORKFLOW; default: no cap of its own).")
    var maxRunningPerWorkflow: Int?

    @Option(
        name: .long,
        help: "Instances of one workflow waiting for a slot at most; past it a creation is 429 (env BRIGADE_MAX_QUEUED_PER_WORKFLOW).")
    var maxQueuedPerWorkflow: Int =
        ProcessInfo.processInfo.environment["BRIGADE_MAX_QUEUED_PER_WORKFLOW"].flatMap(Int.init) ?? BrigadeSettings().maxQueuedPerWorkflow

    @Option(
        name: .long,
        help:
            "Creations (and restarts) per second one account may make; past it 429 with Retry-After (env BRIGADE_CREATION_RATE; default: none)."
    )
    var creationRate: Double?

    @Option(
        name: .long,
        help:
            "Creations per second of one workflow of an account; past it 429 with Retry-After (env BRIGADE_WORKFLOW_CREATION_RATE; default: none)."
    )
    var workflowCreationRate: Double?

    /// An optional limit's value: the option, else its environment variable.
    private static func fromEnvironment<T: LosslessStringConvertible>(_ given: T?, _ variable: String) -> T? {
        given ?? ProcessInfo.processInfo.environment[variable].flatMap(T.init)
    }
    private var runningPerWorkflow: Int? { Self.fromEnvironment(maxRunningPerWorkflow, "BRIGADE_MAX_RUNNING_PER_WORKFLOW") }
    private var accountCreationRate: Double? { Self.fromEnvironment(creationRate, "BRIGADE_CREATION_RATE") }
    private var perWorkflowCreationRate: Double? { Self.fromEnvironment(workflowCreationRate, "BRIGADE_WORKFLOW_CREATION_RATE") }

    @Option(
        name: .long,
        help:
            "Shards each workflow's instances are spread over (env BRIGADE_SHARDS_PER_WORKFLOW). A cluster spreads a workflow over at most this many nodes: give it a few per node."
    )
    var shardsPerWorkflow: Int =
        ProcessInfo.processInfo.environment["BRIGADE_SHARDS_PER_WORKFLOW"].flatMap(Int.init) ?? BrigadeSettings().shardsPerWorkflow

    @Flag(name: .long, help: "Do not serve tenant modules' fetch handlers at /dispatch/{account}/{workflow}/… (env BRIGADE_NO_DISPATCH=1).")
    var noDispatch = ProcessInfo.processInfo.environment["BRIGADE_NO_DISPATCH"] == "1"

    @Flag(name: .long, help: "Do not serve the dashboard and the playground at / (env BRIGADE_NO_DASHBOARD=1).")
    var noDashboard = ProcessInfo.processInfo.environment["BRIGADE_NO_DASHBOARD"] == "1"

    @Option(
        name: .long,
        help:
            "Require this token in x-brigade-dispatch-token on every /dispatch request (env BRIGADE_DISPATCH_TOKEN; default: open, as a Worker is)."
    )
    var dispatchToken: String = ProcessInfo.processInfo.environment["BRIGADE_DISPATCH_TOKEN"] ?? ""

    @Option(
        name: .long,
        help:
            "Also serve the fetch handlers on this port, routed as the seed routes: account from the x-tenant-id header, workflow from the path's first segment (env BRIGADE_DISPATCH_PORT)."
    )
    var dispatchPort: Int?
    private var dispatchListenPort: Int? { Self.fromEnvironment(dispatchPort, "BRIGADE_DISPATCH_PORT") }

    @Flag(name: .long, help: "Tenant code may not use fetch() at all (env BRIGADE_NO_FETCH=1).")
    var noFetch = ProcessInfo.processInfo.environment["BRIGADE_NO_FETCH"] == "1"

    @Option(
        name: .long,
        help:
            "The only hosts tenant code may fetch(), comma-separated, *.example.com for subdomains (env BRIGADE_FETCH_HOSTS; default: any public host)."
    )
    var fetchHosts: String = ProcessInfo.processInfo.environment["BRIGADE_FETCH_HOSTS"] ?? ""

    @Option(help: .hidden) var probeLedger: String?

    func validate() throws {
        if !adminToken.isEmpty, adminToken.count < 32 || adminToken.count > 256 {
            throw ValidationError(
                "The admin token must be 32–256 characters (it guards every tenant); `openssl rand -hex 32` makes one.")
        }
        guard (10...600_000).contains(jsCpuMs) else { throw ValidationError("--js-cpu-ms must be from 10 to 600000.") }
        guard (8...16_384).contains(jsMemoryMb) else { throw ValidationError("--js-memory-mb must be from 8 to 16384.") }
        guard (16...65_536).contains(jsVmMemoryMb) else { throw ValidationError("--js-vm-memory-mb must be from 16 to 65536.") }
        guard (1...256).contains(jsVms) else { throw ValidationError("--js-vms must be from 1 to 256.") }
        guard (1...10_000).contains(jsRunnersPerVm) else { throw ValidationError("--js-runners-per-vm must be from 1 to 10000.") }
        guard (1...1_000_000).contains(runnerCache) else { throw ValidationError("--runner-cache must be from 1 to 1000000.") }
        guard runnerIdleSeconds >= 1 else { throw ValidationError("--runner-idle-seconds must be at least 1.") }
        guard (1...1_000_000).contains(maxConnections) else { throw ValidationError("--max-connections must be from 1 to 1000000.") }
        guard (1...1_000_000).contains(maxConnectionsPerClient) else {
            throw ValidationError("--max-connections-per-client must be from 1 to 1000000.")
        }
        guard (1...1_000_000).contains(maxStreamsPerTenant) else {
            throw ValidationError("--max-streams-per-tenant must be from 1 to 1000000.")
        }
        guard (1...86_400).contains(idleTimeoutSeconds) else { throw ValidationError("--idle-timeout-seconds must be from 1 to 86400.") }
        guard (1...86_400).contains(bodyTimeoutSeconds) else { throw ValidationError("--body-timeout-seconds must be from 1 to 86400.") }
        guard (1...200).contains(nodeId.count), nodeId.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw ValidationError("--node-id must be 1–200 printable ASCII characters without spaces.")
        }
        guard (1...10_000_000).contains(maxRunning) else { throw ValidationError("--max-running must be from 1 to 10000000.") }
        if let maxRunningPerWorkflow = runningPerWorkflow, !(1...10_000_000).contains(maxRunningPerWorkflow) {
            throw ValidationError("--max-running-per-workflow must be from 1 to 10000000.")
        }
        guard (1...1_000_000_000).contains(maxQueuedPerWorkflow) else {
            throw ValidationError("--max-queued-per-workflow must be from 1 to 1000000000.")
        }
        for (name, rate) in [("--creation-rate", accountCreationRate), ("--workflow-creation-rate", perWorkflowCreationRate)] {
            if let rate, !(rate > 0 && rate <= 1_000_000) {
                throw ValidationError("\(name) is creations per second, more than 0 and at most 1000000.")
            }
        }
        guard (1...1_024).contains(shardsPerWorkflow) else { throw ValidationError("--shards-per-workflow must be from 1 to 1024.") }
        guard (50...3_600_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be from 50 to 3600000.") }
        guard leaseTtlMs >= 3 * heartbeatMs, leaseTtlMs <= 86_400_000 else {
            throw ValidationError("--lease-ttl-ms must be at least three heartbeats (3 × --heartbeat-ms) and at most 86400000.")
        }
    }

    func run() async throws {
        let logger = CommandSupport.logger(defaultLevel: .info)
        // One registry for the engine's, the store's and the HTTP server's metrics: `GET /metrics`.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(BrigadeServer.metricsFactory(registry: registry))
        let store = try await CommandSupport.openStore(db)
        let postgres = store as? PostgresStore
        // On PostgreSQL, several nodes share the database; one process per node id.
        try await postgres?.holdNodeLock(node: nodeId)
        var settings = BrigadeSettings()
        settings.nodeID = nodeId
        settings.leaseTTL = .milliseconds(leaseTtlMs)
        settings.heartbeatInterval = .milliseconds(heartbeatMs)
        settings.maxRunningPerAccount = maxRunning
        settings.maxRunningPerWorkflow = runningPerWorkflow
        settings.maxQueuedPerWorkflow = maxQueuedPerWorkflow
        settings.creationRatePerAccount = accountCreationRate
        settings.creationRatePerWorkflow = perWorkflowCreationRate
        settings.shardsPerWorkflow = shardsPerWorkflow
        let runtime = BrigadeRuntime(store: store, settings: settings, logger: logger)
        try ExampleWorkflows.register(in: runtime)
        // Dynamic workflows: tenants' JavaScript, each version in its own context of a shared
        // JavaScriptCore VM.
        var sandboxSettings = JavaScriptSandbox.Settings()
        sandboxSettings.cpuTimeLimit = .milliseconds(jsCpuMs)
        sandboxSettings.memoryLimit = jsMemoryMb << 20
        sandboxSettings.machineMemoryLimit = jsVmMemoryMb << 20
        sandboxSettings.machines = jsVms
        sandboxSettings.runnersPerMachine = jsRunnersPerVm
        // What tenant code's fetch() may reach: the public internet (or the hosts given), never
        // a private address — unless the operator gave the tenant its own hosts
        // (`brigade tenants limits --fetch-hosts`), asked at each fetch.
        let hosts = CommandSupport.list(fetchHosts).map { $0.lowercased() }
        let egress: EgressPolicy? = noFetch ? nil : EgressPolicy(allowedHosts: hosts.isEmpty ? nil : hosts)
        let sandbox = JavaScriptSandbox(
            settings: sandboxSettings,
            egress: { [runtime] tenant in EgressPolicy.forTenant(runtime.currentLimits(tenant: tenant), server: egress) })
        let loader = runtime.makeCodeLoader(
            sandbox: sandbox, settings: TenantCodeLoader.Settings(idleTime: .seconds(runnerIdleSeconds), maxCached: runnerCache))
        try runtime.register(BrigadeRuntime.codeDispatcher(loader: loader))
        // The end-to-end crash test's workflow: step bodies append to a ledger outside the engine.
        if let probeLedger { try runtime.register(CrashProbe(ledger: try LedgerFile(path: probeLedger))) }

        let base = "http://\(host):\(port)"
        // A second node of a cluster finds the tenant the first one made.
        if try await store.tenants().isEmpty, let token = try? await TenantsCommand.create(id: TenantsCommand.defaultTenant, in: store) {
            say(
                "Created tenant \"\(TenantsCommand.defaultTenant)\". Its token (shown once; `brigade tenants rotate-token` issues a new one):"
            )
            say("  export BRIGADE_URL=\(base) BRIGADE_ACCOUNT=\(TenantsCommand.defaultTenant) BRIGADE_TOKEN=\(token)")
        }
        say(
            "Brigade serving \(ExampleWorkflows.names.joined(separator: ", ")) and tenants' JavaScript (brigade deploy) on \(base) with \(CommandSupport.describe(db))\(postgres == nil ? "" : " as node \(nodeId)")"
        )
        say("  curl -H \"Authorization: Bearer $BRIGADE_TOKEN\" \(base)/client/v4/accounts/$BRIGADE_ACCOUNT/workflows")

        var limits = ConnectionLimits()
        limits.maxConnections = maxConnections
        limits.maxConnectionsPerClient = maxConnectionsPerClient
        limits.maxStreamsPerTenant = maxStreamsPerTenant
        limits.idleTimeout = .seconds(idleTimeoutSeconds)
        limits.bodyTimeout = .seconds(bodyTimeoutSeconds)
        let dispatch = noDispatch ? nil : TenantDispatch(loader: loader, token: dispatchToken.isEmpty ? nil : dispatchToken)
        let server = BrigadeServer(
            runtime: runtime, tenants: store, metrics: registry, adminToken: adminToken.isEmpty ? nil : adminToken, sandbox: sandbox,
            connectionLimits: limits,
            dispatch: dispatch, fetchHosts: noFetch ? [] : hosts.isEmpty ? ["*"] : hosts, dashboard: !noDashboard, logger: logger)
        if !noDispatch {
            say(
                "  tenant modules' fetch handlers at \(base)/dispatch/{account}/{workflow}/…\(dispatchToken.isEmpty ? "" : " (x-brigade-dispatch-token required)")"
            )
        }
        if !noDashboard { say("  dashboard and playground at \(base)/ (sign in with the token)") }
        if !adminToken.isEmpty { say("  admin API on (/admin/v1/tenants; the admin token also acts as any account)") }
        // Shut down in reverse order: the HTTP intake stops first, then the engine drains.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: loader), .init(service: runtime), .init(service: server.application(host: host, port: port)),
        ]
        if let dispatchPort = dispatchListenPort, let dispatch {
            services.append(.init(service: server.dispatchApplication(dispatch, host: host, port: dispatchPort)))
            say("  and on http://\(host):\(dispatchPort)/{workflow}/… with the account in x-tenant-id")
        }
        var configuration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // A shutdown always ends: the engine's grace, a margin for the HTTP intake and the
        // store, then cancellation, and a process that still has not ended is left by exit.
        configuration.maximumGracefulShutdownDuration = runtime.settings.shutdownGrace + .seconds(5)
        configuration.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            await postgres?.close()
            throw error
        }
        await postgres?.close()
    }
}
