import Brigade
import Foundation

/// Tenant workflows in JavaScript (or TypeScript, compiled at upload), on JavaScriptCore.
///
/// Each runner (a tenant's workflow, one version) is its own global context — own global object
/// and built-ins — in one of a few shared VMs (``Settings/machines``), which bound the CPU time
/// and memory of every entry into tenant code. There is no file system, process or network API
/// (JavaScriptCore's C API exposes none; `WebAssembly` is removed), and only what `env` carries
/// from the platform.
public struct JavaScriptSandbox: WorkflowSandbox {
    public struct Settings: Sendable {
        /// CPU time one entry into tenant code may use — `run` up to its next step, or one call
        /// of a step's function — before it is stopped and the instance errors. Default 1 s.
        public var cpuTimeLimit: Duration = .seconds(1)
        /// How much one entry into tenant code may grow the process's memory before it is
        /// stopped (the instance errors, the VM is retired). Measured from the start of the entry,
        /// counting only memory its own thread made resident (not other tenants' or the
        /// engine's), checked after `firstCheck` of CPU time and every `checkInterval` after that,
        /// so an entry can overshoot by what it allocates before the next check (or in one huge
        /// allocation). Default 64 MiB.
        public var memoryLimit: Int = 64 << 20
        /// The heap (all its tenants' objects, and the memory they own such as array buffers) above
        /// which a VM is retired: no new runner goes into it and its runners are booted again in
        /// a fresh VM at their next run. Measured between entries, at most once per
        /// `surveyInterval`, and only while the process's resident memory is above this limit
        /// (below it no VM can be over it; the measure walks the VM's whole heap). Default 256 MiB.
        public var machineMemoryLimit: Int = 256 << 20
        /// How often at most a VM's heap is measured against `machineMemoryLimit`; a measure that
        /// takes longer than 1% of this puts the next off further. Default 1 s.
        public var surveyInterval: Duration = .seconds(1)
        /// Runners a VM hosts over its life before it is retired (see ``JSMachine``). Default 1,000.
        public var machineLifetime: Int = 1_000
        /// VMs kept at least (runners are spread over them); entries into one VM run one at a
        /// time. Default: the number of cores, at least 2.
        public var machines: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)
        /// Runners a VM holds before the next one gets a new VM. Default 32.
        public var runnersPerMachine: Int = 32
        /// The CPU time of one entry into tenant code (`run` up to its next step, one call of a
        /// step's function, or the module's load) above which its tenant is isolated: its
        /// runners move to a VM shared only with other isolated tenants, so that its long entries
        /// no longer hold up the tenants of a shared VM (entries into one VM run one at a time).
        /// An entry a limit stopped isolates its tenant too. Default 100 ms.
        public var isolationThreshold: Duration = .milliseconds(100)
        /// How long a tenant stays isolated after its last heavy entry; its next boot after that
        /// goes back to the shared VMs. Default 10 minutes.
        public var isolationTime: Duration = .minutes(10)
        /// How much less CPU the isolation VM's thread gets than the engine and the other VMs
        /// when the cores are busy: its Linux nice value (0–19). Default 10, about a tenth of the
        /// share of a thread at 0. A tenant that keeps hitting its limits there still runs, but
        /// its neighbours' steps come first.
        public var isolationNiceness: Int32 = 10
        /// How long a tenant's code waits before it runs again after its second stop by a limit
        /// in a row (the first costs nothing), doubling with each further stop up to
        /// `limitBackoffCap`; stops are forgotten `isolationTime` after the last one. While it
        /// waits, its instances stay `running` and its deploys answer `rate_limited` with a
        /// retry-after. A hostile tenant's cost to the others falls with each stop (see
        /// `LimitBackoff`). Default 250 ms; zero turns the back-off off.
        public var limitBackoff: Duration = .milliseconds(250)
        /// The longest wait of `limitBackoff`. Default 30 s.
        public var limitBackoffCap: Duration = .seconds(30)
        /// The nice value of JavaScriptCore's own JIT compiler and collector helper threads, which
        /// work for every tenant, a hostile one's included (see `HelperThreads`). Default 5; 0
        /// leaves them as they are.
        public var helperNiceness: Int32 = 5
        /// The CPU time an entry runs before it is first checked against both limits. Later than
        /// the next checks because arming the check costs every entry that finds it expired
        /// (see ``Watchdog``); a warm wake's entries take well under a millisecond. A
        /// `cpuTimeLimit` shorter than this is checked when it runs out. Default 25 ms.
        public var firstCheck: Duration = .milliseconds(25)
        /// How often, in CPU time, a running entry is checked against both limits after its first
        /// check. Default 5 ms.
        public var checkInterval: Duration = .milliseconds(5)
        /// The esbuild executable (a name looked up in PATH, or a path). Default `esbuild`.
        public var esbuild: String = "esbuild"

        public init() {}
    }

    public let settings: Settings
    let pool: JSMachinePool
    /// What tenants' code finds in `env` beside its deployed values.
    let bindings: HostBindings
    /// What each tenant's `fetch()` may reach; nil: no fetch for that tenant.
    let egress: @Sendable (_ tenant: String) -> EgressPolicy?
    let fetcher = OutboundFetcher()

    /// - Parameters:
    ///   - bindings: the named Swift functions each tenant's code gets in `env`.
    ///   - egress: what each tenant's `fetch()` may reach (``EgressPolicy``); nil for a tenant
    ///     whose code may reach nothing. By default the public internet, and nothing private.
    ///     Asked at every fetch, so a policy changed while the code is loaded applies at once.
    public init(
        settings: Settings = Settings(), bindings: HostBindings = .none,
        egress: @escaping @Sendable (_ tenant: String) -> EgressPolicy? = { _ in EgressPolicy() }
    ) {
        self.init(settings: settings, bindings: bindings, egress: egress, now: Counters.monotonicNanos)
    }

    /// `now`: the monotonic clock (nanoseconds) tenant isolation is timed with; tests pass their own.
    init(
        settings: Settings, bindings: HostBindings = .none, egress: @escaping @Sendable (String) -> EgressPolicy? = { _ in EgressPolicy() },
        now: @escaping @Sendable () -> UInt64
    ) {
        self.settings = settings
        self.bindings = bindings
        self.egress = egress
        pool = JSMachinePool(settings: settings, now: now)
    }

    public var engineName: String { "javascriptcore" }

    /// VMs in the pool now.
    var liveMachineCount: Int { pool.liveCount }

    public func compile(_ source: String, language: CodeLanguage, tenant: String) async throws -> String {
        // Loading runs the module's top-level code: a tenant in back-off (its code keeps hitting
        // its limits) is told when to come back instead of being loaded again now.
        if let wait = pool.backoff(for: tenant) {
            throw BrigadeError(
                .rateLimited,
                "This tenant's code was stopped by a CPU or memory limit several times in a row, so its code runs again only after a pause; deploy again in \(max(1, wait.wholeMilliseconds / 1_000 + 1)) s, and look at the errors of its last instances (GET …/instances?status=errored) for what stopped it.",
                retryAfter: wait)
        }
        let script = try await ModuleCompiler(executable: settings.esbuild).compile(source, language: language)
        // Load it once, so that a module that throws while loading or has no TenantWorkflow
        // class is refused now rather than when its first instance runs. As the tenant's: a
        // module that computes long as it loads isolates its tenant from the upload on.
        let probe = TenantCode(
            tenant: tenant, workflow: "upload-check", version: 0, versionId: "", language: language, source: source,
            script: script, env: [:], createdAt: 0)
        _ = try await JSRunner.boot(probe, pool: pool)
        return script
    }

    public func boot(_ code: TenantCode) async throws -> any WorkflowRunner {
        let egress = egress
        let tenant = code.tenant
        return try await JSRunner.boot(
            code, pool: pool, bindings: bindings.forTenant(code.tenant),
            egress: JSRunner.Egress(policy: { egress(tenant) }, fetcher: fetcher))
    }
}
