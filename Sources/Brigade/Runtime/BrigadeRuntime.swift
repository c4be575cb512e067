import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The Brigade engine in one process: registered workflows, the control plane (an Account with
/// its Gatekeeper per tenant, a SousChef per workflow shard, an Engine per running instance) and
/// a store.
///
/// ```swift
/// let store = try SQLiteStore(path: "brigade.sqlite")
/// let brigade = BrigadeRuntime(store: store)
/// try brigade.register(Onboarding(mailer: mailer))
/// // run it as a Service (or inside a ServiceGroup) ...
/// let instance = try await brigade.workflow(Onboarding.self).create(params: .init(email: "a@b.c"))
/// ```
///
/// Instances can be created before `run()` starts; they wait in the store (status `queued`, due
/// now) and start when it does. A new process on the same database resumes every unfinished
/// instance from its last committed step.
public final class BrigadeRuntime: Service, Sendable {
    /// The tenant used when none is given (embedded use has one tenant).
    public static let defaultTenant = "default"

    let store: any WorkflowStore
    /// The limits and tunables this runtime was made with.
    public let settings: BrigadeSettings
    let clock: any WorkflowClock
    let logger: Logger

    struct State: Sendable {
        var workflows: [String: AnyWorkflowRunner] = [:]
        /// Every tenant's workflow definitions, once loaded from the store.
        var definitions: [DefinitionKey: WorkflowDefinition]?
        var chefs: [ShardKey: SousChef] = [:]
        /// The lease slots this node holds when its store is shared by a cluster (nil: one node
        /// that runs every shard). Only their shards have a SousChef here.
        var owned: [Int: LeaseFence]?
        /// The live nodes of the cluster (1 outside one).
        var liveNodes = 1
        var accounts: [String: Account] = [:]
        /// The operator's per-tenant limits, once loaded from the store.
        var limits: [String: TenantLimits] = [:]
        /// Set while `run()` runs: SousChefs and Gatekeepers created later are started through it.
        var starter: AsyncStream<@Sendable () async -> Void>.Continuation?
    }

    let state = Mutex(State())
    let tally = EngineTally()
    let signals = InstanceSignals()
    /// Wakes the cron loop when this node changes a schedule.
    let scheduleSignal = WakeSignal()
    /// Whether the store is ready for calls (see ``ready()``).
    let readiness = RuntimeReadiness()
    /// In a cluster, until when this node may act on its leases (moved by its heartbeats).
    let leaseValidity = LeaseValidity()
    let metrics: EngineMetrics
    /// When this runtime was made: the `created_on` of the workflows registered in Swift.
    let madeAt: Int64

    /// - Parameters:
    ///   - store: where instances live (for example `SQLiteStore`).
    ///   - settings: limits and tunables; the defaults are the contract's.
    ///   - clock: wall-clock time; inject `ManualClock` in tests.
    ///   - logger: logs at debug and trace level only.
    ///   - metricsFactory: where the engine's metrics go (see the README's "Metrics"); the
    ///     process's bootstrapped `MetricsSystem` when nil, which does nothing unless bootstrapped.
    public init(
        store: some WorkflowStore, settings: BrigadeSettings = .init(), clock: some WorkflowClock = SystemClock(),
        logger: Logger = Logger(label: "brigade"), metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.metrics = EngineMetrics(factory: metricsFactory ?? MetricsSystem.factory)
        self.store = store
        self.settings = settings
        self.clock = clock
        self.madeAt = clock.nowMilliseconds()
        self.logger = logger
        if store is any LeaseStore { state.withLock { $0.owned = [:] } }
    }

    /// Registers a workflow under `W.name`. Its instances start running once `run()` runs.
    public func register<W: Workflow>(_ workflow: W) throws {
        try Validation.workflowName(W.name, settings: settings)
        let runner = AnyWorkflowRunner(workflow)
        let added = state.withLock { state -> Bool in
            if state.workflows[W.name] != nil { return false }
            state.workflows[W.name] = runner
            return true
        }
        guard added else {
            throw BrigadeError(
                .invalidWorkflowName,
                "A workflow named \"\(W.name)\" is already registered; give each workflow a distinct `static var name`.")
        }
        for shard in 0..<settings.shardsPerWorkflow {
            _ = chef(for: ShardKey(tenant: Self.defaultTenant, workflow: W.name, shard: shard))
        }
    }

    /// A typed client for a registered workflow.
    public func workflow<W: Workflow>(_ type: W.Type, tenant: String = BrigadeRuntime.defaultTenant) -> WorkflowClient<W> {
        WorkflowClient(runtime: self, tenant: tenant)
    }

    /// Makes the store ready for calls once — migrated, the definitions loaded — or waits for
    /// whoever is doing it; every public call that touches the store comes through here.
    func ready() async throws {
        try await readiness.wait { [store] in
            try await store.migrate()
            try await self.loadDefinitions()
            try await self.loadLimits()
        }
    }

    /// Runs the control plane until cancelled or gracefully shut down. Makes the store ready
    /// first (migrated, the workflow definitions loaded), unless a call did already; calls made
    /// meanwhile wait for it (see `RuntimeReadiness`).
    public func run() async throws {
        // Before any SousChef: a shard of a tenant's own workflow finds its class through the
        // definitions.
        try await ready()
        let (starts, starter) = AsyncStream<@Sendable () async -> Void>.makeStream()
        let (chefs, gatekeepers) = state.withLock { state -> ([SousChef], [Gatekeeper]) in
            state.starter = starter
            return (Array(state.chefs.values), state.accounts.values.map(\.gatekeeper))
        }
        defer { state.withLock { $0.starter = nil } }
        for gatekeeper in gatekeepers { starter.yield { await gatekeeper.run() } }
        for chef in chefs { starter.yield { await chef.run() } }
        // Every shard holding unfinished instances of a registered workflow needs its SousChef,
        // including shards beyond the current `shardsPerWorkflow` if the setting shrank.
        for shard in try await store.activeShards() {
            _ = chef(for: shard)
        }
        logger.debug("brigade runtime started")
        let member = (store as? any LeaseStore).map { leases in
            ClusterMember(node: settings.nodeID, leases: leases, settings: settings, logger: logger, validity: leaseValidity) {
                [weak self] held, live in
                await self?.hold(held, liveNodes: live)
            }
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.purgeLoop() }
                group.addTask { await self.heapTrimLoop() }
                group.addTask { await self.scheduleLoop() }
                if let member {
                    group.addTask { await self.limitsLoop() }
                    group.addTask { await member.run() }
                    group.addTask { await self.receiveWakeups(from: member.leases) }
                    group.addTask { await self.shareSlots(through: member.leases) }
                }
                for await start in starts {
                    group.addTask { await start() }
                }
                // Intake stopped. On a graceful shutdown, running step bodies get up to
                // `shutdownGrace` to finish and commit; whatever still runs then is cancelled
                // and runs again on the next start.
                if !Task.isCancelled { await self.drain() }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Stop intake; cancelling the SousChefs stops their engines. Committed steps are
            // durable, and a step that was running runs again on the next start.
            starter.finish()
        }
        // After a graceful shutdown the other nodes take this node's slots at once.
        if let member, !Task.isCancelled { await member.leave() }
        logger.debug("brigade runtime stopped")
    }

    /// Drains every SousChef's engines, waiting (in real time) until none is live or the grace
    /// has passed.
    private func drain() async {
        let chefs = state.withLock { Array($0.chefs.values) }
        for chef in chefs { chef.drain() }
        let deadline = ContinuousClock.now + settings.shutdownGrace
        while liveInstanceCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        logger.debug("runtime drained", metadata: ["still.live": "\(liveInstanceCount)"])
    }

    /// Purges finished instances whose retention ended.
    private func purgeLoop() async {
        while !Task.isCancelled {
            do {
                while try await store.purgeExpired(now: clock.nowMilliseconds(), limit: 1_000) == 1_000 {}
            } catch {
                logger.error("purging expired instances failed: \(error)")
            }
            let next = Date(millisecondsSince1970: clock.nowMilliseconds() + settings.sweepInterval.wholeMilliseconds)
            do { try await clock.sleep(until: next) } catch { return }
        }
    }

    /// Gives freed heap back to the system once quiet after engines ended (``HeapTrim``).
    private func heapTrimLoop() async {
        var trim = HeapTrim()
        while !Task.isCancelled {
            if trim.observe(engines: engineObjectCount, freed: tally.freed.load(ordering: .relaxed)) { HeapTrim.releaseFreeHeap() }
            // Real time, not the runtime's clock: memory is not part of any workflow's timeline.
            do { try await Task.sleep(for: .milliseconds(250)) } catch { return }
        }
    }

    // MARK: Control-plane lookups

    func account(for tenant: String) -> Account {
        state.withLock { state in
            if let account = state.accounts[tenant] { return account }
            let account = Account(tenant: tenant, settings: state.limits[tenant]?.applied(to: settings) ?? settings)
            if state.owned != nil {
                // In a cluster the account's slots are shared among the nodes: none until this
                // node's first turn (see `shareSlots(through:)`), and its share of the rates.
                account.gatekeeper.setCapacity(0)
                account.shareRates(among: state.liveNodes)
            }
            state.accounts[tenant] = account
            let gatekeeper = account.gatekeeper
            state.starter?.yield { await gatekeeper.run() }
            return account
        }
    }

    /// The SousChef of a shard, created (and started, if the runtime runs) on first use. Nil for
    /// a workflow that is not registered.
    /// In a cluster, nil too for a shard whose lease slot this node does not hold: looking up an
    /// instance never starts a SousChef on a node that does not own it.
    func chef(for shard: ShardKey) -> SousChef? {
        let account = account(for: shard.tenant)
        return state.withLock { state -> SousChef? in
            if let chef = state.chefs[shard] { return chef }
            var lease: LeaseFence?
            if let owned = state.owned {
                guard let fence = owned[shard.leaseSlot(slots: settings.leaseSlots)] else { return nil }
                lease = fence
            }
            guard let runner = state.runner(tenant: shard.tenant, workflow: shard.workflow) else { return nil }
            let chef = SousChef(
                shard: shard, runner: runner, account: account, store: store, clock: clock, lease: lease,
                leaseValidity: lease == nil ? nil : leaseValidity,
                settings: settings, logger: logger, tally: tally, metrics: metrics, signals: signals, host: engineHost
            )
            state.chefs[shard] = chef
            state.starter?.yield { await chef.run() }
            return chef
        }
    }

    /// The names of the workflows registered in Swift (every tenant has them).
    public var workflowNames: [String] {
        state.withLock { Array($0.workflows.keys) }
    }

    /// The shard an instance id belongs to (FNV-1a of the id).
    func shard(of id: String) -> Int {
        var hash = FNV1a()
        hash.add(id)
        return Int(hash.value % UInt64(max(1, settings.shardsPerWorkflow)))
    }

    /// How many instances have an Engine in memory, as the SousChefs know them: running, and
    /// parked in memory before they hibernate. Hibernated instances have none. Not the same as
    /// ``runningSlots(tenant:)``: a parked engine gives its slot back but stays in memory for the
    /// hibernation grace; nor as ``engineObjectCount``, which also counts an exited engine not
    /// yet freed (a leak shows there).
    public var liveInstanceCount: Int {
        let chefs = state.withLock { Array($0.chefs.values) }
        return chefs.reduce(0) { $0 + $1.liveCount }
    }

    /// How many Engine objects of this runtime exist. Zero once every instance has hibernated or
    /// finished: a hibernated instance holds no memory in the process.
    public var engineObjectCount: Int { tally.count.load(ordering: .relaxed) }

    /// Concurrency slots in use for a tenant, as its Gatekeeper counts them: its instances that are
    /// running now (a parked or paused one holds none). The count the account's limit applies to.
    public func runningSlots(tenant: String = BrigadeRuntime.defaultTenant) -> Int {
        account(for: tenant).gatekeeper.inUse
    }
}
