import Foundation
import Logging
import Synchronization

/// Runs one shard of one workflow's instances: keeps their due timers and runnable queue, leases
/// slots from the account's Gatekeeper, starts an Engine per runnable instance, and sweeps the
/// store so that no instance whose alarm passed is ever left behind (after a crash, a lost
/// wake-up or a bug).
final class SousChef: Sendable {
    let shard: ShardKey
    private let currentRunner: Mutex<AnyWorkflowRunner>
    /// What new Engines run: the workflow's class, which a tenant's definition can rebind.
    var runner: AnyWorkflowRunner { currentRunner.withLock { $0 } }
    let account: Account
    let store: any WorkflowStore
    let clock: any WorkflowClock
    let settings: BrigadeSettings
    let logger: Logger
    let tally: EngineTally
    let metrics: EngineMetrics
    let signals: InstanceSignals
    let host: EngineHost
    /// The lease its node holds on the shard's slot (nil: one node, no leases): every claim and
    /// write of its engines carries it.
    let lease: LeaseFence?
    /// With a lease, until when the node may act on it (its engines look before a step body).
    let leaseValidity: LeaseValidity?

    private let state = Mutex(SousChefState())
    private let signal = WakeSignal()
    private let lessee: LesseeID
    private let draining = Atomic<Bool>(false)
    /// Set once the loop runs: before, nothing starts, and a creation claims nothing.
    private let looping = Atomic<Bool>(false)
    /// Set once the node gave up the shard's lease: the loop ends and takes its engines with it.
    private let retired = Atomic<Bool>(false)
    /// Resolved when the loop has ended and every engine with it.
    private let ended = AsyncStream<Void>.makeStream()

    init(
        shard: ShardKey, runner: AnyWorkflowRunner, account: Account, store: any WorkflowStore,
        clock: any WorkflowClock, lease: LeaseFence? = nil, leaseValidity: LeaseValidity? = nil, settings: BrigadeSettings, logger: Logger,
        tally: EngineTally, metrics: EngineMetrics, signals: InstanceSignals, host: EngineHost = .none
    ) {
        self.leaseValidity = leaseValidity
        self.host = host
        self.tally = tally
        self.metrics = metrics
        self.signals = signals
        self.lease = lease
        self.shard = shard
        self.currentRunner = Mutex(runner)
        self.account = account
        self.store = store
        self.clock = clock
        self.settings = settings
        var logger = logger
        logger[metadataKey: "shard"] = "\(shard)"
        self.logger = logger
        self.lessee = LesseeID(shard: shard)
        account.gatekeeper.register(lessee, signal: signal)
    }

    /// The SousChef's loop. Engines run as child tasks; cancelling the loop stops them.
    func run() async {
        defer { ended.continuation.finish() }
        looping.store(true, ordering: .releasing)
        await withDiscardingTaskGroup { group in
            var nextSweep = Int64.min
            while !Task.isCancelled {
                if retired.load(ordering: .acquiring) {
                    // The shard moves to another node: its engines stop now (a step body that
                    // runs is cancelled; its write would be fenced anyway).
                    for engine in liveEngines { engine.stop() }
                    group.cancelAll()
                    // Nothing left to ask for: the Gatekeeper gives this lessee's slots to others.
                    account.gatekeeper.request(lessee, .zero)
                    break
                }
                var now = clock.nowMilliseconds()
                if now >= nextSweep || state.withLock({ $0.heldBack && $0.fresh.isEmpty }) {
                    // The sweep covers up to `now + horizon`; the next one is due relative to the
                    // same `now`, so that time moving on during the sweep cannot skip a window.
                    let sooner = await sweep(now: now)
                    nextSweep = min(now + settings.sweepInterval.wholeMilliseconds, sooner ?? .max)
                    now = clock.nowMilliseconds()
                }
                state.withLock { $0.fireDue(now: now) }
                startRunnable(in: &group)
                let nextDue = state.withLock { $0.nextDue() }
                let wakeAt = min(nextDue ?? .max, nextSweep)
                await signal.wait(until: Date(millisecondsSince1970: wakeAt), clock: clock)
            }
        }
    }

    /// Starts runnable instances on the slots this SousChef leases, then tells the Gatekeeper
    /// what is still waiting (its one request for the next cycle).
    private func startRunnable(in group: inout DiscardingTaskGroup) {
        if draining.load(ordering: .acquiring) { return }
        let gatekeeper = account.gatekeeper
        while state.withLock({ $0.hasRunnable }), gatekeeper.tryStart(lessee) {
            let started = state.withLock { state in
                state.startNext { seq, id, claimed in
                    Engine(
                        seq: seq, key: InstanceKey(tenant: shard.tenant, workflow: shard.workflow, id: id), runner: runner, store: store,
                        clock: clock, lease: lease, settings: settings, logger: logger, tally: tally, metrics: metrics, signals: signals,
                        host: host, leaseValidity: leaseValidity, claimedAtCreation: claimed
                    )
                }
            }
            guard let (seq, engine) = started else {
                gatekeeper.finished(lessee)
                break
            }
            group.addTask {
                let outcome = await engine.run()
                self.engineExited(seq: seq, outcome: outcome)
            }
        }
        gatekeeper.request(lessee, state.withLock { $0.demand })
    }

    private func engineExited(seq: Int64, outcome: EngineOutcome) {
        account.gatekeeper.finished(lessee)
        let now = clock.nowMilliseconds()
        let horizon = now + settings.timerHorizon.wholeMilliseconds
        let id = state.withLock { state -> String? in
            guard let entry = state.entries[seq], case .live(_, let wakeRequested) = entry.place else { return nil }
            state.entries[seq] = nil
            switch outcome {
            case .hibernated(let dueAt) where !wakeRequested:
                // Beyond the horizon the sweep brings it back in time; only the near future is
                // held in memory.
                if dueAt <= horizon { state.schedule(seq: seq, id: entry.id, dueAt: dueAt, woken: true) }
            case .failed:
                state.schedule(seq: seq, id: entry.id, dueAt: now + 1_000, woken: true)
            default:
                if wakeRequested { state.makeRunnable(seq: seq, id: entry.id, woken: true) }
            }
            return entry.id
        }
        if let id, outcome.isTerminal {
            signals.finished(InstanceKey(tenant: shard.tenant, workflow: shard.workflow, id: id))
        }
        signal.signal()
    }

    /// Loads due instances this SousChef does not know of: the liveness sweep. Returns when the
    /// next sweep is needed sooner than the regular interval (a page came back full).
    ///
    /// Two cursors page through the store's alarm index, a page each per sweep: the overdue
    /// alarms (due now or earlier: lost wake-ups, instances left behind by a crash, new
    /// instances held back because the queue in memory was full), wrapping to the start after
    /// the last page; and the upcoming alarms of the next `timerHorizon`, which it reads on from
    /// where the last page ended, so that timers already in memory are not read again and the
    /// ones beyond them are in memory before they come due.
    private func sweep(now: Int64) async -> Int64? {
        let page = max(1, settings.sweepPage)
        let horizon = now + settings.timerHorizon.wholeMilliseconds
        let (overdueFrom, upcomingFrom, mark) = state.withLock { state in
            let floor = DueInstance.Position(dueAt: now, seq: .max)
            return (state.overdueCursor, max(state.upcomingCursor ?? floor, floor), state.heldBackMark)
        }
        do {
            let overdue = try await store.dueInstances(shard, after: overdueFrom, dueBefore: now, limit: page)
            let upcoming = try await store.dueInstances(shard, after: upcomingFrom, dueBefore: horizon, limit: page)
            return state.withLock { state -> Int64? in
                var skipped = false
                for instance in overdue + upcoming {
                    state.swept(instance.seq)
                    // New instances beyond the queue in memory stay in the store for a later page.
                    if instance.status == .queued, state.entries[instance.seq] == nil, state.fresh.count >= page {
                        skipped = true
                        continue
                    }
                    state.schedule(seq: instance.seq, id: instance.id, dueAt: instance.dueAt, woken: instance.status != .queued)
                }
                if skipped {
                    // Read again from the start once the queue drains: the skipped rows come first.
                    state.heldBack = true
                    state.overdueCursor = nil
                    state.upcomingCursor = nil
                    return nil
                }
                state.overdueCursor = overdue.count == page ? overdue.last?.position : nil
                // Nothing more overdue in the store, as of the reads above; an instance held back
                // while they ran (a create racing the sweep) is not in them.
                if overdue.count < page && state.heldBackMark == mark { state.heldBack = false }
                if upcoming.count == page, let last = upcoming.last {
                    state.upcomingCursor = last.position
                    // Read the next page well before the last loaded timer comes due.
                    return max(now + 10, last.dueAt - settings.timerHorizon.wholeMilliseconds / 2)
                }
                state.upcomingCursor = DueInstance.Position(dueAt: horizon, seq: .max)
                return overdue.count == page ? now + 10 : nil
            }
        } catch is CancellationError {
            // Shutting down: the next start sweeps again.
            return nil
        } catch {
            logger.error("sweeping for due instances failed: \(error)")
            return nil
        }
    }

    // MARK: Notifications from the creation path and the instance operations

    /// Graceful shutdown: starts no more engines and drains the live ones.
    func drain() {
        draining.store(true, ordering: .releasing)
        for engine in liveEngines { engine.drain() }
    }

    /// Stops the loop and every engine, and returns once they have ended (the node gave up the
    /// shard's lease, or lost it).
    func retire() async {
        retired.store(true, ordering: .releasing)
        signal.signal()
        for await _ in ended.stream {}
    }

    private var liveEngines: [Engine] {
        state.withLock { state in
            state.entries.values.compactMap { entry -> Engine? in
                if case .live(let engine, _) = entry.place { return engine }
                return nil
            }
        }
    }

    /// Rebinds the workflow to another class (a tenant's `PUT …/workflows/{name}` while no
    /// instance of it is unfinished).
    func replaceRunner(_ runner: AnyWorkflowRunner) {
        currentRunner.withLock { $0 = runner }
    }

    /// A new instance was created in this shard. Past `sweepPage` queued in memory it stays in
    /// the store, and the sweep reads it in when the queue has drained; so does one created
    /// while older ones wait there (the queue has room again because one started, but they come
    /// first: oldest first).
    ///
    /// `claimed` is the snapshot of an instance its creation claimed for this node, under the
    /// `mark` ``claimCreations(_:)`` gave before the creation was written.
    func created(seq: Int64, id: String, claimed: ReplaySnapshot? = nil, mark: Int? = nil) {
        let queued = state.withLock { state -> Bool in
            if state.heldBack || state.fresh.count >= settings.sweepPage {
                state.heldBack = true
                state.heldBackMark &+= 1
                return false
            }
            return state.created(seq: seq, id: id, claimed: claimed, mark: mark)
        }
        if queued { signal.signal() }
    }

    /// How many of `count` creations in this shard may claim their instance for this node
    /// (``NewInstance/claimed``), and the mark to hand back to ``created(seq:id:claimed:mark:)``
    /// with them: none on a node of a cluster (a lease is checked by a claim, which a creation
    /// does not do), none before the loop runs or once it drains, and otherwise as many as will
    /// start at once (``SousChefState/claimCreations(_:freeSlots:)``). Call ``releaseClaims(_:)``
    /// with the count granted once they were written and told to ``created(seq:id:claimed:mark:)``.
    func claimCreations(_ count: Int) -> (mark: Int, granted: Int) {
        guard lease == nil, looping.load(ordering: .acquiring), !draining.load(ordering: .acquiring), !retired.load(ordering: .acquiring)
        else { return (0, 0) }
        let free = account.gatekeeper.freeSlots(lessee)
        return state.withLock { $0.claimCreations(count, freeSlots: free) }
    }

    /// Creations that claimed were written and told (or failed).
    func releaseClaims(_ count: Int) {
        guard count > 0 else { return }
        state.withLock { $0.releaseClaims(count) }
    }

    /// An instance must run again now (resumed, restarted, woken).
    func wake(seq: Int64, id: String) {
        let queued = state.withLock { state in
            state.heard(of: seq)
            return state.makeRunnable(seq: seq, id: id, woken: true)
        }
        if queued { signal.signal() }
    }

    /// An event was stored for an instance of this shard.
    func eventArrived(seq: Int64, id: String, event: EventRecord, status: InstanceStatus) {
        if let engine = liveEngine(seq: seq) {
            if engine.receive(event) { return }
            // The engine is unwinding and will not see the event: run the instance again after.
            wake(seq: seq, id: id)
        } else if status == .waiting {
            wake(seq: seq, id: id)
        }
    }

    /// The live engine of an instance, if it runs here. If it does not, a snapshot its creation
    /// claimed is dropped in the same lock, before an engine can start from it: every caller is
    /// about to tell the instance something or change it in the store, which the engine that
    /// starts later must read with a claim of its own.
    func liveEngine(seq: Int64) -> Engine? {
        state.withLock { state in
            if case .live(let engine, _)? = state.entries[seq]?.place { return engine }
            state.heard(of: seq)
            return nil
        }
    }

    /// Stops the instance's engine if it runs, and forgets its timer.
    func stop(seq: Int64) {
        liveEngine(seq: seq)?.stop()
        state.withLock { $0.forget(seq: seq) }
    }

    /// Forgets a timer or queue entry (the instance was paused through the store).
    func forget(seq: Int64) {
        state.withLock { state in
            state.heard(of: seq)
            state.forget(seq: seq)
        }
    }

    /// Engines currently in memory.
    var liveCount: Int { state.withLock { $0.liveCount } }
}
